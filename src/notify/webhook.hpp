// Webhook: `confab serve --webhook URL`. Tells a backend when a room becomes occupied or
// vacated and when a member leaves (docs/http-api.md, "Webhook"). Owns the EventFeed that the
// loops write to and the webhook thread that delivers from it. Created at start-up (throws on
// a bad configuration); the loops call it from their threads; stopped after the loops.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "notify/event_feed.hpp"
#include "notify/webhook_config.hpp"
#include "notify/webhook_sender.hpp"
#include "notify/webhook_stats.hpp"

namespace confab::notify {

class Webhook {
public:
    // Starts the webhook thread.
    explicit Webhook(WebhookConfig config);
    ~Webhook();  // stop(0)
    Webhook(const Webhook&) = delete;
    Webhook& operator=(const Webhook&) = delete;

    // Loop threads: see EventFeed.
    void room_filled_here(std::string_view room) { feed_.room_filled_here(room); }
    void member_left(std::string_view room, const rooms::MemberInfo& member,
                     rooms::LeaveReason reason, LocalRoom here) {
        feed_.member_left(room, member, reason, here);
    }

    // Any thread.
    const WebhookStats& stats() const { return stats_; }

    // After the loops stopped (no more events): delivers what is queued for at most
    // `flush_for`, then stops the webhook thread. Idempotent.
    void stop(std::chrono::milliseconds flush_for) { sender_->stop(flush_for); }

private:
    const WebhookConfig config_;
    WebhookStats stats_;
    EventFeed feed_;
    std::unique_ptr<WebhookSender> sender_;  // destroyed first: it writes to feed_ and stats_
};

}  // namespace confab::notify
