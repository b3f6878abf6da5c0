// /ws/rooms/{room}: the seed hub. Every text or binary message from a member goes verbatim
// to every member of the room, sender included (Gorilla semantics). A member whose send queue
// overflows is closed with 1013; the room never waits for it.
#pragma once

#include <string>

#include "rooms/member.hpp"
#include "session/audience.hpp"
#include "session/session_context.hpp"
#include "session/ws_session.hpp"

namespace confab::session {

class RoomEndpoint final : public WsSession, public rooms::Member {
public:
    RoomEndpoint(net::Connection& conn, const SessionContext& ctx,
                 std::optional<ws::DeflateParams> deflate, std::string room);

    // rooms::Member
    void deliver(const rooms::RoomMessagePtr& message) override;
    rooms::MemberInfo info() const override;

private:
    void on_open() override;
    void on_ws_message(ws::Opcode op, std::string_view payload) override;
    void on_ws_closed() override;

    const SessionContext& ctx_;
    std::string room_;
    AudienceSeat plain_seat_;
    AudienceSeat deflate_seat_;
    bool joined_ = false;
    bool overflowed_ = false;
};

}  // namespace confab::session
