#include "notify/webhook_queue.hpp"

#include <algorithm>
#include <iterator>

namespace confab::notify {

WebhookQueue::WebhookQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool WebhookQueue::push(WebhookEvent event) {
    bool dropped = false;
    if (events_.size() >= capacity_) {
        events_.pop_front();
        ++dropped_;
        dropped = true;
    }
    events_.push_back(std::move(event));
    return dropped;
}

std::vector<WebhookEvent> WebhookQueue::take_front(std::size_t max) {
    std::size_t n = std::min(max, events_.size());
    std::vector<WebhookEvent> out(
        std::make_move_iterator(events_.begin()),
        std::make_move_iterator(events_.begin() + static_cast<std::ptrdiff_t>(n)));
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
}

}  // namespace confab::notify
