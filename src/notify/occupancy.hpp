// Occupancy: which rooms have members anywhere, counted across event loops. A room's members
// live on several loops (each loop has its own RoomRegistry), so "the room became empty" is a
// global fact no single loop knows. Each loop reports only its own transitions (the room got
// its first member here / lost its last one here); this counts, per room, the loops on which
// it has members, and a room is occupied while that count is above zero. Pure; not
// thread-safe: EventFeed calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace confab::notify {

class Occupancy {
public:
    enum class Change { None, Occupied, Vacated };

    // A loop's registry got the room's first member: Occupied if no other loop had any.
    Change filled_on_a_loop(std::string_view room);
    // A loop's registry lost the room's last member: Vacated if no other loop has any.
    // A room never reported filled is ignored (None): a report can only follow its fill.
    Change emptied_on_a_loop(std::string_view room);

    std::size_t occupied_rooms() const { return loops_with_members_.size(); }
    // Loops on which `room` has members (0 when it is empty).
    std::uint32_t loops_with_members(std::string_view room) const;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Invariant: every value is >= 1; a room whose count drops to 0 is erased, so memory
    // follows the rooms occupied now, not every room ever seen.
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> loops_with_members_;
};

}  // namespace confab::notify
