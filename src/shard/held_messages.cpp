#include "shard/held_messages.hpp"

namespace confab::shard {

bool HeldMessages::hold(rooms::RoomMessagePtr message) {
    if (count_ >= capacity_) return false;
    auto it = by_room_.find(message->room);
    if (it == by_room_.end()) {
        room_order_.push_back(message->room);
        it = by_room_.emplace(message->room, std::vector<rooms::RoomMessagePtr>{}).first;
    }
    it->second.push_back(std::move(message));
    ++count_;
    return true;
}

bool HeldMessages::holds_room(std::string_view room) const {
    return by_room_.find(room) != by_room_.end();
}

std::vector<rooms::RoomMessagePtr> HeldMessages::take(std::string_view room) {
    auto it = by_room_.find(room);
    if (it == by_room_.end()) return {};
    std::vector<rooms::RoomMessagePtr> taken = std::move(it->second);
    by_room_.erase(it);
    count_ -= taken.size();
    std::erase(room_order_, room);
    return taken;
}

std::vector<rooms::RoomMessagePtr> HeldMessages::take_all() {
    std::vector<rooms::RoomMessagePtr> all;
    all.reserve(count_);
    for (const std::string& room : room_order_) {
        auto it = by_room_.find(room);
        for (auto& m : it->second) all.push_back(std::move(m));
        by_room_.erase(it);
    }
    room_order_.clear();
    count_ = 0;
    return all;
}

}  // namespace confab::shard
