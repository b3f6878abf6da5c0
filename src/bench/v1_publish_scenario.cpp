// `confab bench v1-publish`: confab.v1 QoS 1 publishing. Each client says hello, joins its own
// room and keeps W messages un-acked; measures acked messages per second (the durable publish
// path: store queue, group commit, fsync per --sync, ack) and publish-to-ack latency.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/epoll_worker.hpp"
#include "bench/histogram.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/worker_pool.hpp"

namespace confab::bench {
namespace {

struct Counts {
    std::uint64_t sent_in_window = 0;
    std::uint64_t acked_of_window = 0;  // sent in the window, acked whenever
    std::uint64_t acked_in_window = 0;  // acks that arrived inside the window
    std::uint64_t errors = 0;           // "error" replies, or acks out of order
};

struct alignas(64) Progress {
    std::atomic<std::uint64_t> outstanding{0};
    std::atomic<bool> done_sending{false};
};

// The value of the unsigned (or numeric-string) field `"name":` in a compact JSON reply (the server's encoders
// write a stable field order without spaces, so a scan is enough here).
std::uint64_t field(std::string_view json, std::string_view name) {
    std::string key = "\"" + std::string(name) + "\":";
    auto at = json.find(key);
    if (at == std::string_view::npos) return UINT64_MAX;
    std::uint64_t v = 0;
    std::size_t i = at + key.size();
    if (i < json.size() && json[i] == '"') ++i;  // a numeric string such as "id":"17"
    for (; i < json.size() && json[i] >= '0' && json[i] <= '9'; ++i)
        v = v * 10 + static_cast<std::uint64_t>(json[i] - '0');
    return v;
}

class V1PublishWorker final : public WorkerHooks {
public:
    V1PublishWorker(const V1PublishOptions& o, EpollWorker& worker, RunControl& control,
                    Progress& progress)
        : o_(o), worker_(worker), control_(control), progress_(progress), slots_(worker.size()),
          latency_(std::make_unique<Histogram>()), data_(o.size, 'x') {}

    void on_open(ClientConn& conn) override {
        conn.send_text(R"({"type":"hello","nick":"bench"})");
        conn.send_text(R"({"type":"join","room":"bench-v1-)" + std::to_string(conn.id()) + "\"}");
    }

    void on_message(ClientConn& conn, std::string_view json, std::int64_t now) override {
        Slot& s = slots_[conn.slot()];
        if (json.starts_with(R"({"type":"joined")")) {
            s.joined = true;
            return top_up(conn, now);
        }
        if (json.starts_with(R"({"type":"error")")) {
            ++counts_.errors;
            return;
        }
        if (!json.starts_with(R"({"type":"ack")")) return;  // our own msg, presence
        // ids are "<seq>": acks come back in publish order for one publisher.
        std::uint64_t seq = field(json, "id");
        if (seq != s.acked) {
            ++counts_.errors;
            return;
        }
        if (!running_) see_run();
        std::int64_t sent = s.sent_ns[seq % kRing];
        ++s.acked;
        if (sent >= window_start_ && sent < window_end_) {
            ++counts_.acked_of_window;
            latency_->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent)));
        }
        if (now >= window_start_ && now < window_end_) ++counts_.acked_in_window;
        top_up(conn, now);
    }

    int on_turn(Phase phase, std::int64_t now) override {
        if (phase != Phase::Run) return 20;
        if (!running_) see_run();
        if (!started_) {
            for (std::size_t slot = 0; slot < worker_.size(); ++slot) top_up(worker_.conn(slot), now);
            started_ = true;
        }
        progress_.outstanding.store(counts_.sent_in_window - counts_.acked_of_window,
                                    std::memory_order_relaxed);
        if (now >= window_end_) progress_.done_sending.store(true, std::memory_order_release);
        return 20;
    }

    const Counts& counts() const { return counts_; }
    const Histogram& latency() const { return *latency_; }

private:
    static constexpr std::size_t kRing = 4096;  // > any sensible window
    struct Slot {
        bool joined = false;
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;
        std::vector<std::int64_t> sent_ns = std::vector<std::int64_t>(kRing);
    };

    void see_run() {
        if (control_.phase.load(std::memory_order_acquire) != Phase::Run) return;
        window_start_ = control_.measure_start_ns;
        window_end_ = control_.measure_end_ns;
        running_ = true;
    }

    void top_up(ClientConn& conn, std::int64_t now) {
        Slot& s = slots_[conn.slot()];
        if (!running_ || !s.joined || now >= window_end_ || !conn.open()) return;
        while (s.next_seq - s.acked < o_.window) {
            std::uint64_t seq = s.next_seq++;
            s.sent_ns[seq % kRing] = now;
            conn.send_text(R"({"type":"pub","room":"bench-v1-)" + std::to_string(conn.id()) +
                           R"(","qos":1,"id":")" + std::to_string(seq) + R"(","data":")" + data_ + "\"}");
            if (now >= window_start_) ++counts_.sent_in_window;
        }
    }

    const V1PublishOptions& o_;
    EpollWorker& worker_;
    RunControl& control_;
    Progress& progress_;
    std::vector<Slot> slots_;
    std::unique_ptr<Histogram> latency_;
    std::string data_;
    Counts counts_;
    bool running_ = false;
    bool started_ = false;
    std::int64_t window_start_ = INT64_MAX;
    std::int64_t window_end_ = INT64_MAX;
};

}  // namespace

int run_v1_publish(const V1PublishOptions& o) {
    if (o.window == 0 || o.window > 1024) throw std::invalid_argument("--window must be 1-1024");
    const CommonOptions& c = o.common;
    std::unique_ptr<Progress[]> progress;
    std::vector<std::unique_ptr<V1PublishWorker>> hooks;
    WorkerPool pool(PoolOptions{
        .target = c.target,
        .clients = c.clients,
        .threads = c.threads,
        .source_addrs = c.source_addrs,
        .path_of = [](std::uint32_t) { return std::string("/ws"); },
        .connect_timeout = c.connect_timeout,
    });
    progress = std::make_unique<Progress[]>(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        hooks.push_back(std::make_unique<V1PublishWorker>(o, pool.worker(i), pool.control(), progress[i]));
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
        n.sent_in_window += h->counts().sent_in_window;
        n.acked_of_window += h->counts().acked_of_window;
        n.acked_in_window += h->counts().acked_in_window;
        n.errors += h->counts().errors;
        latency->merge(h->latency());
    }
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    Report r("v1-publish");
    r.section("setup");
    r.add_text("url", "url", c.url);
    r.add("clients", "publishers (one room each)", c.clients);
    r.add("size", "data size", static_cast<double>(o.size), "B");
    r.add("window", "un-acked per publisher", o.window);
    r.add("duration_s", "measured", seconds, "s", 1);
    r.section("throughput (measurement window)");
    r.add("acked_per_s", "acked QoS 1 messages", static_cast<double>(n.acked_in_window) / seconds, "/s");
    r.add("sent", "sent in window", static_cast<double>(n.sent_in_window));
    r.add("unacked", "never acked", static_cast<double>(n.sent_in_window - n.acked_of_window));
    r.add("errors", "errors / out-of-order acks", static_cast<double>(n.errors));
    r.section("latency, publish to ack (ms)");
    r.add_latency("latency_ms", *latency);
    r.add_cpu(cpu.bench_percent(), cpu.server_percent());
    r.section("connections lost during the run");
    r.add_closes(pool.close_stats());
    r.print(std::cout, c.json);
    if (n.acked_in_window == 0) {
        std::cerr << "confab bench: no ack arrived in the measurement window\n";
        return 1;
    }
    return 0;
}

}  // namespace confab::bench
