// WebhookSender: the webhook thread. Its own io_context takes batches of events from the
// EventFeed, POSTs them in order over one kept-alive connection, and retries a batch with
// backoff until the receiver takes it or refuses it. The event loops never wait for it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "notify/event_feed.hpp"
#include "notify/log_throttle.hpp"
#include "notify/retry_policy.hpp"
#include "notify/webhook_config.hpp"
#include "notify/webhook_connection.hpp"
#include "notify/webhook_stats.hpp"

namespace confab::notify {

// Delivery, one batch at a time (so events arrive in order): take up to max_batch events,
// POST {"events":[...]}; 2xx → next batch; 3xx/4xx (not 408/429) → log, drop the batch, next;
// anything else → wait (RetryBackoff) and POST the very same body again (same event ids,
// same signature). Events that arrive meanwhile wait in the feed's bounded queue.
class WebhookSender {
public:
    // Starts the webhook thread. `feed` and `stats` must outlive this object.
    WebhookSender(const WebhookConfig& config, EventFeed& feed, WebhookStats& stats);
    ~WebhookSender();  // stop(0)
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    // Any thread but the webhook thread; idempotent. Keeps delivering for at most
    // `flush_for` (or until nothing is left), then stops the thread and joins it. Events not
    // delivered by then are counted in the log line and lost.
    void stop(std::chrono::milliseconds flush_for);

private:
    // Webhook thread.
    void send_next();
    void post_batch();
    void on_outcome(const PostOutcome& outcome);
    void retry_later(const std::string& why);
    void finish();

    const WebhookConfig& config_;
    EventFeed& feed_;
    WebhookStats& stats_;
    const std::string run_id_;  // names this server run in every event id

    // Destroyed after everything that uses it (members are destroyed in reverse order).
    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    WebhookConnection connection_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer stop_timer_;
    RetryBackoff backoff_;
    LogThrottle failure_log_{std::chrono::seconds(10)};

    // Webhook thread only.
    std::vector<WebhookEvent> batch_;  // being delivered; empty when idle
    std::string body_;                 // batch_'s POST body: retried byte for byte
    std::string signature_;
    bool stopping_ = false;

    std::thread thread_;
};

}  // namespace confab::notify
