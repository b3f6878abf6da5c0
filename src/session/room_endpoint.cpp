#include "session/room_endpoint.hpp"

#include "core/log.hpp"
#include "rooms/room_name.hpp"
#include "session/presence.hpp"
#include "session/room_message_builder.hpp"
#include "ws/close_code.hpp"

namespace confab::session {

RoomEndpoint::RoomEndpoint(net::Connection& conn, const SessionContext& ctx,
                           std::optional<ws::DeflateParams> deflate, std::string room)
    : WsSession(conn, ctx.config, ctx.shard.stats(), deflate),
      ctx_(ctx),
      room_(std::move(room)),
      plain_seat_(ctx.audience.plain_online, true),
      deflate_seat_(ctx.audience.deflate_online, deflate.has_value()) {}

void RoomEndpoint::on_open() {
    ctx_.shard.rooms().join(room_, this);
    joined_ = true;
    announce_join(ctx_, room_, info(), connection_id());
}

void RoomEndpoint::on_ws_closed() {
    if (joined_) {
        ctx_.shard.rooms().leave(room_, this);
        announce_leave(ctx_, room_, info(), connection_id(), leave_reason());
    }
    joined_ = false;
}

void RoomEndpoint::on_ws_message(ws::Opcode op, std::string_view payload) {
    if (rooms::is_server_owned(room_)) {
        // Watching resources/... or presence/... is fine; writing into them is forging.
        return close(ws::close_code::kPolicyViolation, "this room is written by the server only");
    }
    // Plain rooms are the Gorilla hub: fan-out only (QoS 0), nothing stored.
    if (op == ws::Opcode::Binary) {
        return ctx_.shard.publish(build_binary_message(ctx_.build(), room_, payload, connection_id()));
    }
    ctx_.shard.publish(build_chat_message(
        ctx_.build(), {.room = room_,
                       .line = chat_line_from_plain(payload, connection_id()),
                       .qos = rooms::Qos::Droppable,
                       .ts_ms = wall_clock_ms(),
                       .sender = connection_id()}));
}

void RoomEndpoint::deliver(const rooms::RoomMessagePtr& message) {
    if (overflowed_ || !is_open() || !message->ws_frame) return;  // presence is not for us
    if (send_frame(pick_frame(message->ws_frame, message->ws_deflated, deflate_params())) ==
        net::PushResult::Overflow) {
        // Slow consumer: close after this fan-out, never inside it.
        overflowed_ = true;
        stats().add(stats().slow_consumer_closes);
        note_leave_reason(rooms::LeaveReason::SlowConsumer);
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
