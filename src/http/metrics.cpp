#include "http/metrics.hpp"

#include <fmt/format.h>

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
};
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
    return out;
}

}  // namespace confab::http
