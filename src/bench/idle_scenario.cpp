// `confab bench idle`: opens C connections to /ws/rooms/idle-<i % 100>, holds them, and
// reports what they cost: server RSS per connection and kernel TCP memory.
#include <iostream>
#include <memory>
#include <stdexcept>

#include "bench/measured_run.hpp"
#include "bench/proc_stats.hpp"

namespace confab::bench {
namespace {

constexpr std::uint32_t kIdleRooms = 100;

// Idle connections only answer pings (ClientConn does that) and count stray messages.
class IdleWorker final : public WorkerHooks {
public:
    void on_message(ClientConn&, std::string_view, std::int64_t) override { ++messages_; }
    int on_turn(Phase, std::int64_t) override { return 20; }
    std::uint64_t messages() const { return messages_; }

private:
    std::uint64_t messages_ = 0;
};

struct MemorySample {
    std::int64_t server_rss = -1;
    std::int64_t tcp_mem = -1;
    std::int64_t tcp_inuse = -1;
    std::int64_t socket_slabs = -1;
};

MemorySample sample(pid_t server_pid) {
    return {server_pid > 0 ? process_rss_bytes(server_pid) : -1, tcp_socket_memory_bytes(),
            tcp_sockets_in_use(), socket_slab_bytes()};
}

double per_conn(std::int64_t before, std::int64_t after, std::uint32_t clients) {
    return static_cast<double>(after - before) / clients;
}

}  // namespace

int run_idle(const IdleOptions& o) {
    const CommonOptions& c = o.common;
    if (c.server_pid > 0 && process_rss_bytes(c.server_pid) < 0) {
        throw std::invalid_argument("--server-pid " + std::to_string(c.server_pid) +
                                    ": no such process");
    }
    ScenarioRun run(
        c, [](std::uint32_t id) { return "/ws/rooms/idle-" + std::to_string(id % kIdleRooms); });
    const auto workers = run.install<IdleWorker>(
        [](EpollWorker&, RunControl&, DrainGauge&) { return std::make_unique<IdleWorker>(); });
    const MemorySample before = sample(c.server_pid);
    run.connect();
    const MemorySample open = sample(c.server_pid);
    RunFacts f = run.hold(o.hold);
    const MemorySample held = sample(c.server_pid);
    run.stop(f);
    std::uint64_t messages = 0;
    for (const IdleWorker* w : workers) messages += w->messages();

    Report r("idle");
    r.section("setup");
    r.add_text("url", "url", c.url);
    r.add("clients", "connections", c.clients);
    r.add("hold_s", "held", static_cast<double>(o.hold.count()) / 1000.0, "s", 1);
    r.add("connect_ms", "connect (all clients)", static_cast<double>(f.connect.count()) / 1e6, "ms",
          1);
    r.add("connect_per_s", "connect rate",
          c.clients / (static_cast<double>(f.connect.count()) / 1e9), "/s");
    if (c.server_pid > 0) {
        r.section("server memory (VmRSS)");
        r.add("server_rss.before_mib", "before connecting", before.server_rss / 1048576.0, "MiB",
              1);
        r.add("server_rss.open_mib", "all connected", open.server_rss / 1048576.0, "MiB", 1);
        r.add("server_rss.held_mib", "end of hold", held.server_rss / 1048576.0, "MiB", 1);
        r.add("server_rss.per_conn_bytes", "per connection (connected)",
              per_conn(before.server_rss, open.server_rss, c.clients), "B");
        r.add("server_rss.per_conn_held_bytes", "per connection (end of hold)",
              per_conn(before.server_rss, held.server_rss, c.clients), "B");
    }
    r.section("kernel TCP memory (/proc/net/sockstat, both ends, system-wide)");
    r.add("tcp_mem.before_kib", "before connecting", before.tcp_mem / 1024.0, "KiB");
    r.add("tcp_mem.open_kib", "all connected", open.tcp_mem / 1024.0, "KiB");
    r.add("tcp_mem.held_kib", "end of hold", held.tcp_mem / 1024.0, "KiB");
    r.add("tcp_mem.per_conn_bytes", "per connection (end of hold)",
          per_conn(before.tcp_mem, held.tcp_mem, c.clients), "B");
    r.add("tcp_inuse.added", "TCP sockets added",
          static_cast<double>(open.tcp_inuse - before.tcp_inuse));
    if (before.socket_slabs >= 0 && held.socket_slabs >= 0) {
        r.section(
            "kernel socket objects (slabs TCP, sock_inode_cache, filp, eventpoll_epi; both ends)");
        r.add("socket_slabs.added_kib", "added", (held.socket_slabs - before.socket_slabs) / 1024.0,
              "KiB");
        r.add("socket_slabs.per_conn_bytes", "per connection (both ends)",
              per_conn(before.socket_slabs, held.socket_slabs, c.clients), "B");
    }
    r.add_cpu(f.bench_cpu, f.server_cpu);
    r.section("connections lost during the hold");
    r.add("messages", "messages received", static_cast<double>(messages));
    r.add_closes(f.closes);
    r.print(std::cout, c.json);
    return 0;
}

}  // namespace confab::bench
