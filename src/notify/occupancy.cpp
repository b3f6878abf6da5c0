#include "notify/occupancy.hpp"

namespace confab::notify {

Occupancy::Change Occupancy::filled_on_a_loop(std::string_view room) {
    auto it = loops_with_members_.find(room);
    if (it != loops_with_members_.end()) {
        ++it->second;
        return Change::None;
    }
    loops_with_members_.emplace(std::string(room), 1);
    return Change::Occupied;
}

Occupancy::Change Occupancy::emptied_on_a_loop(std::string_view room) {
    auto it = loops_with_members_.find(room);
    if (it == loops_with_members_.end()) return Change::None;
    if (--it->second > 0) return Change::None;
    loops_with_members_.erase(it);
    return Change::Vacated;
}

std::uint32_t Occupancy::loops_with_members(std::string_view room) const {
    auto it = loops_with_members_.find(room);
    return it == loops_with_members_.end() ? 0 : it->second;
}

}  // namespace confab::notify
