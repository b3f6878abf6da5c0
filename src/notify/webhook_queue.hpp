// WebhookQueue: the events waiting for the webhook, bounded, oldest first. When it is full
// the oldest event is dropped to make room: a receiver that is down must not cost the server
// unbounded memory, and the newest events describe the rooms as they are now. Pure; not
// thread-safe: EventFeed calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "notify/webhook_event.hpp"

namespace confab::notify {

class WebhookQueue {
public:
    explicit WebhookQueue(std::size_t capacity);  // capacity >= 1

    // Appends `event`, first dropping the oldest one if `capacity` are queued. Returns true
    // when one was dropped.
    bool push(WebhookEvent event);
    // Removes and returns up to `max` of the oldest events, in order.
    std::vector<WebhookEvent> take_front(std::size_t max);

    std::size_t size() const { return events_.size(); }
    bool empty() const { return events_.empty(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t dropped() const { return dropped_; }  // since construction

private:
    std::size_t capacity_;
    std::deque<WebhookEvent> events_;  // invariant: size() <= capacity_
    std::uint64_t dropped_ = 0;
};

}  // namespace confab::notify
