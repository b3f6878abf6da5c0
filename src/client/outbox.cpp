#include "client/outbox.hpp"

#include <algorithm>

namespace confab::client {

std::optional<OutboxEntry> Outbox::take(std::string_view room, std::string_view id) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const OutboxEntry& e) { return e.id == id && e.room == room; });
    if (it == entries_.end()) return std::nullopt;
    OutboxEntry out = std::move(*it);
    entries_.erase(it);
    if (out.delayed()) --delayed_;
    return out;
}

void Outbox::retry_later(std::string_view room, std::string_view id, Clock::time_point at) {
    for (OutboxEntry& e : entries_) {
        if (e.id == id && e.room == room) {
            e.sent = false;
            if (!e.delayed()) ++delayed_;
            e.retry_at = at;
            return;
        }
    }
}

void Outbox::mark_all_unsent() {
    for (OutboxEntry& e : entries_) e.sent = false;
}

std::vector<OutboxEntry> Outbox::take_room(std::string_view room) {
    std::vector<OutboxEntry> out;
    auto keep = std::stable_partition(entries_.begin(), entries_.end(),
                                      [&](const OutboxEntry& e) { return e.room != room; });
    std::move(keep, entries_.end(), std::back_inserter(out));
    entries_.erase(keep, entries_.end());
    delayed_ = static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [](const OutboxEntry& e) { return e.delayed(); }));
    return out;
}

std::vector<OutboxEntry> Outbox::drain() {
    std::vector<OutboxEntry> out(std::make_move_iterator(entries_.begin()),
                                 std::make_move_iterator(entries_.end()));
    entries_.clear();
    delayed_ = 0;
    return out;
}

bool Outbox::has_room(std::string_view room) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const OutboxEntry& e) { return e.room == room; });
}

std::optional<Outbox::Clock::time_point> Outbox::next_retry(Clock::time_point now) const {
    std::optional<Clock::time_point> next;
    if (delayed_ == 0) return next;
    for (const OutboxEntry& e : entries_) {
        if (!e.sent && e.retry_at > now && (!next || e.retry_at < *next)) next = e.retry_at;
    }
    return next;
}

}  // namespace confab::client
