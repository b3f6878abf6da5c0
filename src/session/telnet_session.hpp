// TelnetSession: the seed's TCP chat on --telnet-listen. A user picks a nick, joins one room
// at a time, and chats with everyone in it, WebSocket users included. Loop thread only.
#pragma once

#include <optional>
#include <string>

#include "net/connection.hpp"
#include "rooms/member.hpp"
#include "session/session_context.hpp"
#include "telnet/line_codec.hpp"

namespace confab::session {

class TelnetSession final : public net::ConnectionHandler,
                            public rooms::Member,
                            private telnet::LineHandler {
public:
    TelnetSession(net::Connection& conn, const SessionContext& ctx);

    // ConnectionHandler
    void on_start() override;
    void on_data(std::span<std::uint8_t> bytes) override;
    void on_tick(net::Clock::time_point) override {}
    void on_shutdown() override;
    void on_closed() override;

    // rooms::Member
    void deliver(const rooms::RoomMessagePtr& message) override;
    rooms::MemberInfo info() const override { return {nick_, session_id_, "telnet"}; }

private:
    // telnet::LineHandler
    void on_line(std::string_view line) override;
    void on_line_too_long() override;

    void command(std::string_view name, std::string_view arg);
    void join(std::string room);
    void leave_room(rooms::LeaveReason why);
    void publish(std::string_view text);
    void say(std::string_view text);  // a line from the server: "* text\r\n"
    void quit(std::string_view farewell);
    template <typename Fn>
    auto guarded(Fn fn);  // wraps an async callback so it runs only while we are connected

    net::Connection& conn_;
    const SessionContext& ctx_;
    telnet::LineCodec codec_;
    std::string nick_;
    std::string session_id_;  // "telnet-<connection id>": the publisher identity for dedup
    std::string room_;
    bool counted_ = false;
    bool overflowed_ = false;
    // Why the connection is ending, once known (for member.left); Closed when never noted.
    std::optional<rooms::LeaveReason> leave_reason_;
};

}  // namespace confab::session
