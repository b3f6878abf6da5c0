// Member: anything that can sit in a room and receive its messages.
#pragma once

#include <string>
#include <string_view>

#include "rooms/room_message.hpp"

namespace confab::rooms {

// Who a member is, for presence and member lists.
struct MemberInfo {
    std::string nick;     // "alice", or "web-12" for anonymous plain-room members
    // confab.v1: the public member id (proto/public_member_id.hpp), never the secret session
    // id; "telnet-<n>" for telnet users; empty for anonymous plain-room members.
    std::string session;
    std::string via;      // "ws" | "telnet"
};

// Why a member left a room, for the webhook's member.left events.
enum class LeaveReason {
    Left,          // on purpose: a confab.v1 `leave`, telnet /join elsewhere or /quit
    Closed,        // the connection ended: the peer closed it, it broke, or broke the protocol
    Timeout,       // a WebSocket peer that did not answer a ping within --pong-timeout
    SlowConsumer,  // closed because its send queue overflowed
    Shutdown,      // the server is stopping
};

constexpr std::string_view leave_reason_name(LeaveReason why) {
    switch (why) {
        case LeaveReason::Left: return "left";
        case LeaveReason::Closed: return "closed";
        case LeaveReason::Timeout: return "timeout";
        case LeaveReason::SlowConsumer: return "slow-consumer";
        case LeaveReason::Shutdown: return "shutdown";
    }
    return "closed";
}

class Member {
public:
    virtual ~Member() = default;
    // Queues the message for this member. Called during fan-out: it must not join or leave
    // rooms or close synchronously (defer that to the end of the loop turn).
    virtual void deliver(const RoomMessagePtr& message) = 0;
    virtual MemberInfo info() const = 0;
};

// How /who lists a member: "alice (telnet)", "web-12".
inline std::string display_name(const MemberInfo& m) {
    return m.via == "telnet" ? m.nick + " (telnet)" : m.nick;
}

}  // namespace confab::rooms
