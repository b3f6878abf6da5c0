// RoomRegistry: the rooms of one loop and the members connected to that loop. Owned and used
// by that loop only: no locks, no I/O. A room exists while it has members here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rooms/member.hpp"

namespace confab::rooms {

class RoomRegistry {
public:
    // Adds `member` to `room` (creating the room); a second join is a no-op.
    void join(std::string_view room, Member* member);
    // Removes `member`; drops the room when it empties. Unknown room/member: no-op.
    void leave(std::string_view room, Member* member);
    // Delivers `message` to every member of message->room here; returns how many.
    std::size_t fan_out(const RoomMessagePtr& message) const;

    std::size_t member_count(std::string_view room) const;
    const std::vector<Member*>* members(std::string_view room) const;
    std::size_t room_count() const { return rooms_.size(); }
    // Room names with their member counts here.
    std::vector<std::pair<std::string, std::size_t>> rooms() const;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<Member*>, Hash, std::equal_to<>> rooms_;
};

}  // namespace confab::rooms
