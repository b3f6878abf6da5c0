// Member: anything that can sit in a room and receive its messages.
#pragma once

#include <string>

#include "rooms/room_message.hpp"

namespace confab::rooms {

class Member {
public:
    virtual ~Member() = default;
    // Queues the message for this member. Called during fan-out: it must not join or leave
    // rooms or close synchronously (defer that to the end of the loop turn).
    virtual void deliver(const RoomMessagePtr& message) = 0;
    // How /who lists this member ("alice (telnet)", "web-12").
    virtual std::string display_name() const = 0;
};

}  // namespace confab::rooms
