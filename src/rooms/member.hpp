// Member: anything that can sit in a room and receive its messages.
#pragma once

#include <string>

#include "rooms/room_message.hpp"

namespace confab::rooms {

// Who a member is, for presence and member lists.
struct MemberInfo {
    std::string nick;     // "alice", or "web-12" for anonymous plain-room members
    std::string session;  // survives reconnects for confab.v1 clients; empty otherwise
    std::string via;      // "ws" | "telnet"
};

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
