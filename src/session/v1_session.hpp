// V1Session: a confab.v1 client on /ws (docs/protocol.md, "confab.v1"). Many rooms per
// connection, presence, QoS 0 fan-out and QoS 1 stored-then-acked publishing, and resume:
// a join with `since` gets every stored message after it, then live ones, with no gap and no
// duplicate at the seam. Loop thread only.
#pragma once

#include <deque>
#include <map>
#include <string>

#include "proto/command.hpp"
#include "rooms/member.hpp"
#include "session/audience.hpp"
#include "session/session_context.hpp"
#include "session/ws_session.hpp"

namespace confab::session {

class V1Session final : public WsSession, public rooms::Member {
public:
    V1Session(net::Connection& conn, const SessionContext& ctx,
              std::optional<ws::DeflateParams> deflate);

    // rooms::Member
    void deliver(const rooms::RoomMessagePtr& message) override;
    // What other people see: the public member id, never the session id (docs/protocol.md,
    // "Session ids are secret").
    rooms::MemberInfo info() const override { return {nick_, member_id_, "ws"}; }

    // Live QoS 1 messages held while a join's history is being read, per room.
    static constexpr std::size_t kMaxRecoveryBuffer = 4096;
    // Messages a resume may replay; further behind, the client is told to reload.
    static constexpr std::uint32_t kMaxReplay = 10'000;

private:
    struct Subscription {
        bool recovering = true;      // history not yet delivered: buffer live QoS 1
        std::uint64_t last_seq = 0;  // highest seq delivered: anything at or below is a dup
        std::deque<rooms::RoomMessagePtr> buffered;
    };

    void on_ws_message(ws::Opcode op, std::string_view payload) override;
    void on_ws_closed() override;

    void on_hello(proto::Hello& hello);
    void on_join(proto::Join& join);
    void on_leave(proto::Leave& leave);
    void on_pub(proto::Pub& pub);
    void on_members(proto::Members& members);
    void on_history(std::string room, std::optional<std::uint64_t> since, std::uint32_t history,
                    std::optional<std::string> ref, store::ReadResult&& r);

    void send_text(const std::string& json, net::Priority priority = net::Priority::Normal);
    void send_error(proto::ErrorCode code, std::string message, const std::optional<std::string>& ref);
    void send_live(Subscription& sub, const rooms::RoomMessagePtr& message);
    void slow_consumer(std::string_view room);

    const SessionContext& ctx_;
    AudienceSeat v1_seat_;
    AudienceSeat deflate_seat_;
    std::string nick_;
    // proto::public_member_id of the hello's session id: the identity shown in from,
    // presence, members, webhooks and stored history, and the publisher part of the QoS 1
    // idempotency key (a function of the session id, so deduplication is unchanged). The
    // session id itself is a bearer credential: it is sent back in the welcome and not kept.
    std::string member_id_;
    bool hello_done_ = false;
    bool overflowed_ = false;
    std::map<std::string, Subscription, std::less<>> rooms_;
};

}  // namespace confab::session
