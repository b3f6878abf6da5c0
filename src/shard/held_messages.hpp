// HeldMessages: droppable messages that may wait a moment before they go out (presence),
// kept per room in arrival order. The shard releases them all in one loop turn, so each
// member's connection gathers a burst of them into one write: N members (re)joining a room
// within the hold cost each member one write, not N. Bounded: when `capacity` messages are
// held, hold() refuses and the shard releases everything at once. Loop thread only; no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rooms/room_message.hpp"

namespace confab::shard {

// A held message, and the largest room (members on this loop) it is still worth sending to
// when released: a room may have grown a lot while it waited.
struct Held {
    rooms::RoomMessagePtr message;
    std::size_t max_members;
};

class HeldMessages {
public:
    explicit HeldMessages(std::size_t capacity) : capacity_(capacity) {}

    // Keeps `held` until taken; false (and nothing kept) when `capacity` are held.
    bool hold(Held held);
    bool empty() const { return count_ == 0; }
    std::size_t size() const { return count_; }
    bool holds_room(std::string_view room) const;

    // What is held for `room`, in arrival order; it is no longer held.
    std::vector<Held> take(std::string_view room);
    // Everything, room by room in the order the rooms were first held, each in arrival order.
    std::vector<Held> take_all();

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    std::size_t capacity_;
    std::size_t count_ = 0;
    std::unordered_map<std::string, std::vector<Held>, Hash, std::equal_to<>> by_room_;
    std::vector<std::string> room_order_;  // the rooms in by_room_, first held first
};

}  // namespace confab::shard
