// `confab bench broadcast`: C clients in R plain rooms, P of them publishing; every receiver
// checks per-publisher sequences and records delivery latency.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "bench/epoll_worker.hpp"
#include "bench/histogram.hpp"
#include "bench/payload.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/worker_pool.hpp"

namespace confab::bench {
namespace {

// Client i joins room i % rooms; publishers are clients 0..P-1, so they spread over rooms
// (and over workers, which take client i % threads) round-robin.
struct RoomPlan {
    std::uint32_t clients;
    std::uint32_t rooms;
    std::uint32_t publishers;
    std::uint32_t room_of(std::uint32_t id) const { return id % rooms; }
    std::uint32_t room_size(std::uint32_t room) const {
        return clients / rooms + (room < clients % rooms ? 1 : 0);
    }
    // Publishers per room, at most; publisher p is number p / rooms within its room.
    std::uint32_t max_publishers_per_room() const { return (publishers + rooms - 1) / rooms; }
};

struct Counts {
    std::uint64_t sent_total = 0;
    std::uint64_t sent_in_window = 0;       // messages stamped inside the window
    std::uint64_t expected_in_window = 0;   // their deliveries: sum of room sizes
    std::uint64_t delivered_in_window = 0;  // deliveries of those messages, whenever received
    std::uint64_t received_in_window = 0;   // deliveries that arrived inside the window
    std::uint64_t received_total = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t gaps = 0;       // sequence numbers skipped (whole run)
    std::uint64_t malformed = 0;  // not a bench message, or from a foreign room

    void merge(const Counts& o) {
        sent_total += o.sent_total;
        sent_in_window += o.sent_in_window;
        expected_in_window += o.expected_in_window;
        delivered_in_window += o.delivered_in_window;
        received_in_window += o.received_in_window;
        received_total += o.received_total;
        duplicates += o.duplicates;
        gaps += o.gaps;
        malformed += o.malformed;
    }
};

// What a worker tells the main thread while it drains (one cache line per worker).
struct alignas(64) Progress {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> expected{0};
    std::atomic<bool> done_sending{false};
};

class BroadcastWorker final : public WorkerHooks {
public:
    BroadcastWorker(const BroadcastOptions& o, const RoomPlan& plan, EpollWorker& worker,
                    RunControl& control, Progress& progress)
        : o_(o),
          plan_(plan),
          worker_(worker),
          control_(control),
          progress_(progress),
          per_room_(plan.max_publishers_per_room()),
          publisher_of_slot_(worker.size(), -1),
          next_seq_(worker.size() * per_room_, 0),
          latency_(std::make_unique<Histogram>()),
          payload_(make_payload(o.size)) {
        for (std::uint32_t slot = 0; slot < worker.size(); ++slot) {
            const std::uint32_t id = worker.conn(slot).id();
            if (id >= plan.publishers) continue;
            publisher_of_slot_[slot] = static_cast<std::int32_t>(pubs_.size());
            pubs_.push_back({slot, id, plan.room_size(plan.room_of(id))});
        }
        rate_ = o.rate * static_cast<double>(pubs_.size()) / plan.publishers;
    }

    void on_message(ClientConn& conn, std::string_view payload, std::int64_t now) override {
        ++counts_.received_total;
        PayloadHeader h;
        if (!read_header(payload, h) || h.sender >= plan_.publishers ||
            plan_.room_of(h.sender) != plan_.room_of(conn.id())) {
            ++counts_.malformed;
            return;
        }
        if (!running_) see_run();
        std::uint64_t& next = next_seq_[conn.slot() * per_room_ + h.sender / plan_.rooms];
        if (h.seq < next) {  // seen already: the server sent it twice (or reordered)
            ++counts_.duplicates;
            return;
        }
        counts_.gaps += h.seq - next;
        next = h.seq + 1;
        if (h.sent_ns >= window_start_ && h.sent_ns < window_end_) {
            ++counts_.delivered_in_window;
            latency_->record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - h.sent_ns)));
        }
        if (now >= window_start_ && now < window_end_) ++counts_.received_in_window;
        const std::int32_t pi = publisher_of_slot_[conn.slot()];
        if (pi >= 0 && pubs_[pi].id == h.sender) {  // our own copy: no longer in flight
            Publisher& p = pubs_[pi];
            p.acked = h.seq + 1;
            if (o_.rate == 0) top_up(p, now);
        }
    }

    int on_turn(Phase phase, std::int64_t now) override {
        if (phase != Phase::Run) return 20;
        if (!running_) see_run();
        int wait_ms = 20;
        if (now < window_end_) {
            if (o_.rate == 0 && !started_) {
                for (Publisher& p : pubs_) top_up(p, now);
            } else if (o_.rate > 0) {
                wait_ms = send_at_rate(now);
            }
            started_ = true;
        }
        progress_.delivered.store(counts_.delivered_in_window, std::memory_order_relaxed);
        progress_.expected.store(counts_.expected_in_window, std::memory_order_relaxed);
        if (now >= window_end_) progress_.done_sending.store(true, std::memory_order_release);
        return wait_ms;
    }

    const Counts& counts() const { return counts_; }
    const Histogram& latency() const { return *latency_; }

private:
    struct Publisher {
        std::uint32_t slot;
        std::uint32_t id;
        std::uint32_t room_size;  // receivers of each message, itself included
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;  // own copies back up to here: in flight = next_seq - acked
    };

    void see_run() {
        if (control_.phase.load(std::memory_order_acquire) != Phase::Run) return;
        window_start_ = control_.measure_start_ns;
        window_end_ = control_.measure_end_ns;
        last_token_ns_ = control_.run_start_ns;
        running_ = true;
    }

    void send(Publisher& p, std::int64_t now) {
        write_header(payload_, {.sender = p.id, .seq = p.next_seq++, .sent_ns = now});
        worker_.conn(p.slot).send_binary(payload_);
        ++counts_.sent_total;
        if (now >= window_start_ && now < window_end_) {
            ++counts_.sent_in_window;
            counts_.expected_in_window += p.room_size;
        }
    }

    // Max rate: keep `window` messages in flight.
    void top_up(Publisher& p, std::int64_t now) {
        if (now >= window_end_ || !worker_.conn(p.slot).open()) return;
        while (p.next_seq - p.acked < o_.window) send(p, now);
    }

    // Fixed rate: a token bucket for this worker's share, handed out round-robin. Returns
    // how long the loop may wait before the next token is due.
    int send_at_rate(std::int64_t now) {
        if (pubs_.empty()) return 20;
        tokens_ += static_cast<double>(now - last_token_ns_) * rate_ / 1e9;
        last_token_ns_ = now;
        tokens_ = std::min(tokens_, std::max(1.0, rate_ * 0.1));  // at most 100 ms of burst
        std::size_t closed_in_a_row = 0;
        while (tokens_ >= 1.0 && closed_in_a_row < pubs_.size()) {
            Publisher& p = pubs_[next_publisher_++ % pubs_.size()];
            if (!worker_.conn(p.slot).open()) {
                ++closed_in_a_row;
                continue;
            }
            closed_in_a_row = 0;
            send(p, now);
            tokens_ -= 1.0;
        }
        if (tokens_ >= 1.0) return 20;  // every publisher is gone
        // epoll waits whole milliseconds: at >1000 msg/s send small bursts each ms.
        return std::max(1, static_cast<int>(std::ceil((1.0 - tokens_) * 1000.0 / rate_)));
    }

    const BroadcastOptions& o_;
    const RoomPlan& plan_;
    EpollWorker& worker_;
    RunControl& control_;
    Progress& progress_;
    std::uint32_t per_room_;
    std::vector<std::int32_t> publisher_of_slot_;  // index into pubs_, or -1
    std::vector<Publisher> pubs_;
    std::vector<std::uint64_t> next_seq_;  // [slot * per_room_ + publisher / rooms]
    std::unique_ptr<Histogram> latency_;
    std::string payload_;
    Counts counts_;
    bool running_ = false;  // window_* are valid
    bool started_ = false;
    std::int64_t window_start_ = INT64_MAX;
    std::int64_t window_end_ = INT64_MAX;
    double rate_ = 0;  // this worker's share, messages/s
    double tokens_ = 0;
    std::int64_t last_token_ns_ = 0;
    std::size_t next_publisher_ = 0;
};

void validate(const BroadcastOptions& o) {
    const auto& c = o.common;
    if (o.rooms == 0 || o.rooms > c.clients)
        throw std::invalid_argument("--rooms must be 1..clients");
    if (o.publishers == 0 || o.publishers > c.clients) {
        throw std::invalid_argument("--publishers must be 1..clients");
    }
    if (o.size < kPayloadHeaderBytes)
        throw std::invalid_argument("--size must be at least 24 bytes");
    if (o.window == 0) throw std::invalid_argument("--window must be positive");
    const RoomPlan plan{c.clients, o.rooms, o.publishers};
    if (std::uint64_t{c.clients} * plan.max_publishers_per_room() > 50'000'000) {
        throw std::invalid_argument(
            "clients x publishers per room is too large to track sequences");
    }
}

// What the run measured besides the workers' counts.
struct RunFacts {
    std::int64_t connect_ns;
    double drain_ms;
    std::size_t threads;
    double bench_cpu;
    double server_cpu;
};

// Every row but the connection losses (added by the caller, who holds the pool).
Report make_report(const BroadcastOptions& o, const Counts& n, const Histogram& latency,
                   const RunFacts& f) {
    const CommonOptions& c = o.common;
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    const double lost =
        static_cast<double>(n.expected_in_window) - static_cast<double>(n.delivered_in_window);

    Report r("broadcast");
    r.section("setup");
    r.add_text("url", "url", c.url);
    r.add("clients", "clients", c.clients);
    r.add("rooms", "rooms", o.rooms);
    r.add("publishers", "publishers", o.publishers);
    r.add("size", "message size", static_cast<double>(o.size), "B");
    if (o.rate > 0)
        r.add("rate", "target rate", o.rate, "msg/s");
    else
        r.add_text("rate", "target rate", "max");
    r.add("window", "window per publisher", o.window);
    r.add("threads", "bench threads", static_cast<double>(f.threads));
    r.add("duration_s", "measured", seconds, "s", 1);
    r.add("connect_ms", "connect (all clients)", static_cast<double>(f.connect_ns) / 1e6, "ms", 1);
    r.section("throughput (measurement window)");
    r.add("delivered_per_s", "delivered", static_cast<double>(n.received_in_window) / seconds,
          "msg/s");
    r.add("sent_per_s", "sent", static_cast<double>(n.sent_in_window) / seconds, "msg/s");
    r.add("delivered_mib_per_s", "delivered payload",
          static_cast<double>(n.received_in_window) * static_cast<double>(o.size) / seconds /
              (1 << 20),
          "MiB/s", 1);
    r.section("delivery of messages sent in the window");
    r.add("sent", "sent", static_cast<double>(n.sent_in_window));
    r.add("expected", "expected deliveries", static_cast<double>(n.expected_in_window));
    r.add("delivered", "delivered", static_cast<double>(n.delivered_in_window));
    r.add("lost", "lost", lost);
    r.add("loss_percent", "loss",
          n.expected_in_window == 0 ? 0.0 : 100.0 * lost / n.expected_in_window, "%", 4);
    r.add("duplicates", "duplicates", static_cast<double>(n.duplicates));
    r.add("sequence_gaps", "sequence gaps (whole run)", static_cast<double>(n.gaps));
    r.add("malformed", "foreign messages", static_cast<double>(n.malformed));
    r.add("drain_ms", "drain after stop", f.drain_ms, "ms", 1);
    r.section("latency, publish to delivery (ms)");
    r.add_latency("latency_ms", latency);
    r.add_cpu(f.bench_cpu, f.server_cpu);
    r.section("connections lost during the run");
    return r;
}

}  // namespace

int run_broadcast(const BroadcastOptions& o) {
    validate(o);
    const CommonOptions& c = o.common;
    const RoomPlan plan{c.clients, o.rooms, o.publishers};
    // Declared before the pool: the pool's destructor joins the threads that use them.
    std::unique_ptr<Progress[]> progress;
    std::vector<std::unique_ptr<BroadcastWorker>> hooks;
    WorkerPool pool(PoolOptions{
        .target = c.target,
        .clients = c.clients,
        .threads = c.threads,
        .source_addrs = c.source_addrs,
        .path_of =
            [rooms = o.rooms](std::uint32_t id) {
                return "/ws/rooms/bench-" + std::to_string(id % rooms);
            },
        .connect_timeout = c.connect_timeout,
    });
    progress = std::make_unique<Progress[]>(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        hooks.push_back(std::make_unique<BroadcastWorker>(o, plan, pool.worker(i), pool.control(),
                                                          progress[i]));
        pool.worker(i).set_hooks(*hooks.back());
    }
    auto connected = pool.connect_all();
    if (!connected) throw std::runtime_error(connected.error().message);

    RunControl& ctl = pool.control();
    CpuMeter cpu(c.server_pid);
    pool.begin_run(o.warmup, o.duration);
    pool.wait_until(ctl.measure_start_ns);
    cpu.start();
    pool.wait_until(ctl.measure_end_ns);
    cpu.stop();
    // Sending has stopped; give what is in flight kDrainGrace to arrive.
    const auto drained = [&] {
        std::uint64_t delivered = 0, expected = 0;
        for (std::size_t i = 0; i < pool.size(); ++i) {
            if (!progress[i].done_sending.load(std::memory_order_acquire)) return false;
            delivered += progress[i].delivered.load(std::memory_order_relaxed);
            expected += progress[i].expected.load(std::memory_order_relaxed);
        }
        return delivered >= expected;
    };
    pool.wait_until(ctl.measure_end_ns + std::chrono::nanoseconds(kDrainGrace).count(), drained);
    const double drain_ms = static_cast<double>(monotonic_ns() - ctl.measure_end_ns) / 1e6;
    pool.stop();

    Counts n;
    auto latency = std::make_unique<Histogram>();
    for (const auto& h : hooks) {
        n.merge(h->counts());
        latency->merge(h->latency());
    }
    Report r = make_report(o, n, *latency,
                           RunFacts{connected->count(), drain_ms, pool.size(), cpu.bench_percent(),
                                    cpu.server_percent()});
    r.add_closes(pool.close_stats());
    r.print(std::cout, c.json);
    if (n.delivered_in_window == 0) {
        std::cerr << "confab bench: no message was delivered in the measurement window\n";
        return 1;
    }
    return 0;
}

}  // namespace confab::bench
