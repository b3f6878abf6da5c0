#include "http/metrics.hpp"

#include <fmt/format.h>

#include "notify/webhook.hpp"

namespace confab::http {

namespace {
struct Counter {
    const char* name;
    const char* help;
    std::atomic<std::uint64_t> shard::Stats::*field;
};
constexpr Counter kCounters[] = {
    {"confab_messages_published_total", "Messages published to rooms.", &shard::Stats::published},
    {"confab_messages_delivered_total", "Frames queued to room members.", &shard::Stats::delivered},
    {"confab_messages_dropped_total", "Droppable frames refused by full send queues.", &shard::Stats::dropped},
    {"confab_slow_consumer_closes_total", "Connections closed because their send queue overflowed.", &shard::Stats::slow_consumer_closes},
    {"confab_ping_timeouts_total", "WebSocket peers dropped for not answering a ping.", &shard::Stats::ping_timeouts},
    {"confab_protocol_errors_total", "Connections closed for breaking the WebSocket protocol.", &shard::Stats::protocol_errors},
    {"confab_api_rate_limited_total", "/api requests refused with 429 (--api-rate).", &shard::Stats::api_rate_limited},
};

// Only with --webhook: without one there is nothing to count.
std::string render_webhook_metrics(const notify::WebhookStats& w) {
    struct Line {
        const char* name;
        const char* type;
        const char* help;
        const std::atomic<std::uint64_t>& value;
    };
    const Line lines[] = {
        {"confab_webhook_events_delivered_total", "counter", "Webhook events the receiver accepted (2xx).", w.delivered},
        {"confab_webhook_events_dropped_total", "counter", "Webhook events dropped, oldest first, because the queue was full (--webhook-queue).", w.dropped},
        {"confab_webhook_events_refused_total", "counter", "Webhook events dropped because the receiver refused them (3xx, 4xx but 408/429).", w.refused},
        {"confab_webhook_failed_posts_total", "counter", "Webhook POSTs that failed and were retried (no answer, timeout, 408, 429, 5xx).", w.failed_attempts},
        {"confab_webhook_queued_events", "gauge", "Webhook events waiting to be sent.", w.queued},
    };
    std::string out;
    for (const Line& l : lines) {
        out += fmt::format("# HELP {0} {2}\n# TYPE {0} {1}\n{0} {3}\n", l.name, l.type, l.help,
                           l.value.load(std::memory_order_relaxed));
    }
    return out;
}
}  // namespace

std::string render_metrics(const session::SessionContext& ctx) {
    std::string out;
    for (const Counter& c : kCounters) {
        std::uint64_t total = 0;
        for (shard::Shard* s : ctx.shard.all()) {
            total += (s->stats().*c.field).load(std::memory_order_relaxed);
        }
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", c.name, c.help, total);
    }
    out += fmt::format("# HELP confab_connections Open connections (all listeners).\n"
                       "# TYPE confab_connections gauge\nconfab_connections {}\n",
                       ctx.connections.open.load(std::memory_order_relaxed));
    out += fmt::format("# HELP confab_telnet_users Telnet users online.\n"
                       "# TYPE confab_telnet_users gauge\nconfab_telnet_users {}\n",
                       ctx.audience.telnet_online.load(std::memory_order_relaxed));
    if (ctx.webhook) out += render_webhook_metrics(ctx.webhook->stats());
    return out;
}

}  // namespace confab::http
