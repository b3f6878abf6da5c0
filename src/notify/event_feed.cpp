#include "notify/event_feed.hpp"

#include <chrono>

#include "core/log.hpp"

namespace confab::notify {

namespace {
std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

EventFeed::EventFeed(std::size_t queue_limit, WebhookStats& stats)
    : stats_(stats), queue_(queue_limit) {}

bool EventFeed::push_locked(WebhookEvent event, std::uint64_t& dropped_log_count) {
    event.seq = next_seq_++;
    if (queue_.push(std::move(event))) {
        WebhookStats::add(stats_.dropped);
        if (auto n = drop_log_.occurred(LogThrottle::Clock::now())) dropped_log_count = *n;
    }
    stats_.queued.store(queue_.size(), std::memory_order_relaxed);
    bool wake = sleeping_;
    sleeping_ = false;
    return wake;
}

void EventFeed::after_push(bool wake, std::uint64_t dropped_log_count) {
    if (dropped_log_count > 0) {
        log::warn(
            "webhook: queue full ({} events): dropped the oldest {} event(s) since the last "
            "report (see confab_webhook_events_dropped_total)",
            queue_.capacity(), dropped_log_count);
    }
    if (wake && wake_) wake_();
}

void EventFeed::room_filled_here(std::string_view room) {
    bool wake = false;
    std::uint64_t dropped = 0;
    {
        std::lock_guard lock(mu_);
        if (occupancy_.filled_on_a_loop(room) != Occupancy::Change::Occupied) return;
        wake = push_locked(
            {.type = EventType::RoomOccupied, .room = std::string(room), .time_ms = unix_ms_now()},
            dropped);
    }
    after_push(wake, dropped);
}

void EventFeed::member_left(std::string_view room, const rooms::MemberInfo& member,
                            rooms::LeaveReason reason, LocalRoom here) {
    std::int64_t now = unix_ms_now();
    bool wake = false;
    std::uint64_t dropped = 0;
    {
        std::lock_guard lock(mu_);
        wake = push_locked({.type = EventType::MemberLeft,
                            .room = std::string(room),
                            .time_ms = now,
                            .member = member,
                            .reason = reason},
                           dropped);
        if (here == LocalRoom::NowEmpty &&
            occupancy_.emptied_on_a_loop(room) == Occupancy::Change::Vacated) {
            wake = push_locked(
                       {.type = EventType::RoomVacated, .room = std::string(room), .time_ms = now},
                       dropped) ||
                   wake;
        }
    }
    after_push(wake, dropped);
}

std::vector<WebhookEvent> EventFeed::take_or_sleep(std::size_t max) {
    std::lock_guard lock(mu_);
    std::vector<WebhookEvent> batch = queue_.take_front(max);
    stats_.queued.store(queue_.size(), std::memory_order_relaxed);
    sleeping_ = batch.empty();
    return batch;
}

std::size_t EventFeed::size() const {
    std::lock_guard lock(mu_);
    return queue_.size();
}

}  // namespace confab::notify
