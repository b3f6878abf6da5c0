// `confab bench echo`: C clients on /ws/echo, each keeping W messages in flight; measures
// round trips per second and round-trip latency.
#include <algorithm>
#include <atomic>
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

struct Counts {
    std::uint64_t sent_in_window = 0;
    std::uint64_t returned_in_window = 0;  // of those sent in the window, whenever returned
    std::uint64_t arrived_in_window = 0;   // round trips completed inside the window
    std::uint64_t unexpected = 0;          // not ours, out of order, or duplicated

    void merge(const Counts& o) {
        sent_in_window += o.sent_in_window;
        returned_in_window += o.returned_in_window;
        arrived_in_window += o.arrived_in_window;
        unexpected += o.unexpected;
    }
};

struct alignas(64) Progress {
    std::atomic<std::uint64_t> outstanding{0};  // sent in the window, not back yet
    std::atomic<bool> done_sending{false};
};

class EchoWorker final : public WorkerHooks {
public:
    EchoWorker(const EchoOptions& o, EpollWorker& worker, RunControl& control, Progress& progress)
        : o_(o),
          worker_(worker),
          control_(control),
          progress_(progress),
          slots_(worker.size()),
          latency_(std::make_unique<Histogram>()),
          payload_(make_payload(o.size)) {}

    void on_message(ClientConn& conn, std::string_view payload, std::int64_t now) override {
        PayloadHeader h;
        Slot& s = slots_[conn.slot()];
        if (!read_header(payload, h) || h.sender != conn.id() || h.seq != s.acked) {
            ++counts_.unexpected;
            return;
        }
        if (!running_) see_run();
        s.acked = h.seq + 1;
        if (h.sent_ns >= window_start_ && h.sent_ns < window_end_) {
            ++counts_.returned_in_window;
            latency_->record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - h.sent_ns)));
        }
        if (now >= window_start_ && now < window_end_) ++counts_.arrived_in_window;
        top_up(conn, now);
    }

    int on_turn(Phase phase, std::int64_t now) override {
        if (phase != Phase::Run) return 20;
        if (!running_) see_run();
        if (!started_) {
            for (std::size_t slot = 0; slot < worker_.size(); ++slot)
                top_up(worker_.conn(slot), now);
            started_ = true;
        }
        progress_.outstanding.store(counts_.sent_in_window - counts_.returned_in_window,
                                    std::memory_order_relaxed);
        if (now >= window_end_) progress_.done_sending.store(true, std::memory_order_release);
        return 20;
    }

    const Counts& counts() const { return counts_; }
    const Histogram& latency() const { return *latency_; }

private:
    struct Slot {
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;  // next sequence number expected back
    };

    void see_run() {
        if (control_.phase.load(std::memory_order_acquire) != Phase::Run) return;
        window_start_ = control_.measure_start_ns;
        window_end_ = control_.measure_end_ns;
        running_ = true;
    }

    void top_up(ClientConn& conn, std::int64_t now) {
        if (now >= window_end_ || !conn.open()) return;
        Slot& s = slots_[conn.slot()];
        while (s.next_seq - s.acked < o_.window) {
            write_header(payload_, {.sender = conn.id(), .seq = s.next_seq++, .sent_ns = now});
            conn.send_binary(payload_);
            if (now >= window_start_) ++counts_.sent_in_window;
        }
    }

    const EchoOptions& o_;
    EpollWorker& worker_;
    RunControl& control_;
    Progress& progress_;
    std::vector<Slot> slots_;
    std::unique_ptr<Histogram> latency_;
    std::string payload_;
    Counts counts_;
    bool running_ = false;
    bool started_ = false;
    std::int64_t window_start_ = INT64_MAX;
    std::int64_t window_end_ = INT64_MAX;
};

}  // namespace

int run_echo(const EchoOptions& o) {
    if (o.size < kPayloadHeaderBytes)
        throw std::invalid_argument("--size must be at least 24 bytes");
    if (o.window == 0) throw std::invalid_argument("--window must be positive");
    const CommonOptions& c = o.common;
    const std::string path =
        c.target.path.empty() || c.target.path == "/" ? "/ws/echo" : c.target.path;
    // Declared before the pool: the pool's destructor joins the threads that use them.
    std::unique_ptr<Progress[]> progress;
    std::vector<std::unique_ptr<EchoWorker>> hooks;
    WorkerPool pool(PoolOptions{
        .target = c.target,
        .clients = c.clients,
        .threads = c.threads,
        .source_addrs = c.source_addrs,
        .path_of = [path](std::uint32_t) { return path; },
        .connect_timeout = c.connect_timeout,
    });
    progress = std::make_unique<Progress[]>(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        hooks.push_back(
            std::make_unique<EchoWorker>(o, pool.worker(i), pool.control(), progress[i]));
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
    pool.wait_until(ctl.measure_end_ns + std::chrono::nanoseconds(kDrainGrace).count(), [&] {
        for (std::size_t i = 0; i < pool.size(); ++i) {
            if (!progress[i].done_sending.load(std::memory_order_acquire)) return false;
            if (progress[i].outstanding.load(std::memory_order_relaxed) != 0) return false;
        }
        return true;
    });
    pool.stop();

    Counts n;
    auto latency = std::make_unique<Histogram>();
    for (const auto& h : hooks) {
        n.merge(h->counts());
        latency->merge(h->latency());
    }
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    Report r("echo");
    r.section("setup");
    r.add_text("url", "url", c.url + (c.target.path.empty() ? path : ""));
    r.add("clients", "clients", c.clients);
    r.add("size", "message size", static_cast<double>(o.size), "B");
    r.add("window", "window per client", o.window);
    r.add("threads", "bench threads", static_cast<double>(pool.size()));
    r.add("duration_s", "measured", seconds, "s", 1);
    r.add("connect_ms", "connect (all clients)", static_cast<double>(connected->count()) / 1e6,
          "ms", 1);
    r.section("throughput (measurement window)");
    r.add("round_trips_per_s", "round trips", static_cast<double>(n.arrived_in_window) / seconds,
          "/s");
    r.add("sent", "sent in window", static_cast<double>(n.sent_in_window));
    r.add("returned", "returned", static_cast<double>(n.returned_in_window));
    r.add("lost", "lost", static_cast<double>(n.sent_in_window - n.returned_in_window));
    r.add("unexpected", "unexpected replies", static_cast<double>(n.unexpected));
    r.section("latency, round trip (ms)");
    r.add_latency("latency_ms", *latency);
    r.add_cpu(cpu.bench_percent(), cpu.server_percent());
    r.section("connections lost during the run");
    r.add_closes(pool.close_stats());
    r.print(std::cout, c.json);
    if (n.returned_in_window == 0) {
        std::cerr << "confab bench: no message came back in the measurement window\n";
        return 1;
    }
    return 0;
}

}  // namespace confab::bench
