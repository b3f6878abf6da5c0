#include "shard/held_messages.hpp"

namespace confab::shard {

bool HeldMessages::hold(Held held) {
    if (count_ >= capacity_) return false;
    const std::string& room = held.message->room;
    auto it = by_room_.find(room);
    if (it == by_room_.end()) {
        room_order_.push_back(room);
        it = by_room_.emplace(room, std::vector<Held>{}).first;
    }
    it->second.push_back(std::move(held));
    ++count_;
    return true;
}

bool HeldMessages::holds_room(std::string_view room) const {
    return by_room_.find(room) != by_room_.end();
}

std::vector<Held> HeldMessages::take(std::string_view room) {
    auto it = by_room_.find(room);
    if (it == by_room_.end()) return {};
    std::vector<Held> taken = std::move(it->second);
    by_room_.erase(it);
    count_ -= taken.size();
    std::erase(room_order_, room);
    return taken;
}

std::vector<Held> HeldMessages::take_all() {
    std::vector<Held> all;
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
