#include "rooms/room_registry.hpp"

#include <algorithm>

namespace confab::rooms {

void RoomRegistry::join(std::string_view room, Member* member) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) it = rooms_.emplace(std::string(room), std::vector<Member*>{}).first;
    auto& members = it->second;
    if (std::find(members.begin(), members.end(), member) == members.end()) members.push_back(member);
}

void RoomRegistry::leave(std::string_view room, Member* member) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    auto& members = it->second;
    // Linear: leaves are rare next to deliveries, and a vector keeps fan-out a tight loop.
    auto pos = std::find(members.begin(), members.end(), member);
    if (pos == members.end()) return;
    *pos = members.back();
    members.pop_back();
    if (members.empty()) rooms_.erase(it);
}

std::size_t RoomRegistry::fan_out(const RoomMessagePtr& message) const {
    auto it = rooms_.find(std::string_view(message->room));
    if (it == rooms_.end()) return 0;
    for (Member* m : it->second) m->deliver(message);
    return it->second.size();
}

std::size_t RoomRegistry::member_count(std::string_view room) const {
    auto it = rooms_.find(room);
    return it == rooms_.end() ? 0 : it->second.size();
}

const std::vector<Member*>* RoomRegistry::members(std::string_view room) const {
    auto it = rooms_.find(room);
    return it == rooms_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::size_t>> RoomRegistry::rooms() const {
    std::vector<std::pair<std::string, std::size_t>> out;
    out.reserve(rooms_.size());
    for (const auto& [name, members] : rooms_) out.emplace_back(name, members.size());
    return out;
}

}  // namespace confab::rooms
