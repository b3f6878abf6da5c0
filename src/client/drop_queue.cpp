#include "client/drop_queue.hpp"

#include <algorithm>

namespace confab::client {

std::vector<DropEntry> DropQueue::expire(Clock::time_point now) {
    std::vector<DropEntry> out;
    // Deadlines are nearly ascending (publishers on several threads may interleave), so scan
    // all of them rather than stopping at the first young one.
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->deadline <= now) {
            out.push_back(std::move(*it));
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<DropEntry> DropQueue::drain() {
    std::vector<DropEntry> out(std::make_move_iterator(entries_.begin()),
                               std::make_move_iterator(entries_.end()));
    entries_.clear();
    return out;
}

std::optional<DropQueue::Clock::time_point> DropQueue::next_deadline() const {
    std::optional<Clock::time_point> next;
    for (const DropEntry& e : entries_) {
        if (!next || e.deadline < *next) next = e.deadline;
    }
    return next;
}

bool DropQueue::has_room(const std::string& room) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const DropEntry& e) { return e.room == room; });
}

}  // namespace confab::client
