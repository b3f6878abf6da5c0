#include "session/room_endpoint.hpp"

#include "core/log.hpp"
#include "session/room_message_builder.hpp"
#include "ws/close_code.hpp"

namespace confab::session {

RoomEndpoint::RoomEndpoint(net::Connection& conn, const SessionContext& ctx,
                           std::optional<ws::DeflateParams> deflate, std::string room)
    : WsSession(conn, ctx.config, ctx.shard.stats(), deflate), ctx_(ctx), room_(std::move(room)) {}

void RoomEndpoint::on_open() {
    ctx_.shard.rooms().join(room_, this);
    joined_ = true;
}

void RoomEndpoint::on_ws_closed() {
    if (joined_) ctx_.shard.rooms().leave(room_, this);
    joined_ = false;
}

void RoomEndpoint::on_ws_message(ws::Opcode op, std::string_view payload) {
    ctx_.shard.publish(build_room_message(ctx_, room_, op, payload, connection().id()));
}

void RoomEndpoint::deliver(const rooms::RoomMessagePtr& message) {
    if (overflowed_ || !is_open()) return;
    if (send_frame(frame_for(*message, deflate_params())) == net::PushResult::Overflow) {
        // Slow consumer: close after this fan-out, never inside it.
        overflowed_ = true;
        stats().add(stats().slow_consumer_closes);
        log::info("ws {} {}: slow consumer in room '{}' ({} queued): closing with 1013",
                  connection().id(), connection().peer(), room_,
                  connection().outbox().data_messages());
        close_soon(ws::close_code::kTryAgainLater, "send queue full: reconnect");
    }
}

rooms::MemberInfo RoomEndpoint::info() const {
    return {"web-" + std::to_string(connection_id()), "", "ws"};
}

}  // namespace confab::session
