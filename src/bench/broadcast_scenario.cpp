// `confab bench broadcast`: C clients in R rooms (plain rooms, or confab.v1 with QoS 0 or 1),
// P of them publishing; every receiver checks per-publisher sequences and records delivery
// latency.
#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "bench/broadcast_wire.hpp"
#include "bench/measured_run.hpp"

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
    std::uint64_t acked = 0;      // confab.v1 QoS 1: publishes stored
    std::uint64_t errors = 0;     // confab.v1: error replies

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
        acked += o.acked;
        errors += o.errors;
    }
};

class BroadcastWorker final : public WindowedHooks {
public:
    BroadcastWorker(const BroadcastOptions& o, const RoomPlan& plan, EpollWorker& worker,
                    RunControl& control, DrainGauge& gauge)
        : WindowedHooks(control, gauge),
          o_(o),
          plan_(plan),
          worker_(worker),
          wire_(o.protocol, o.qos, o.size),
          per_room_(plan.max_publishers_per_room()),
          publisher_of_slot_(worker.size(), -1),
          next_seq_(worker.size() * per_room_, 0) {
        for (std::uint32_t slot = 0; slot < worker.size(); ++slot) {
            const std::uint32_t id = worker.conn(slot).id();
            if (id >= plan.publishers) continue;
            publisher_of_slot_[slot] = static_cast<std::int32_t>(pubs_.size());
            pubs_.push_back({slot, id, plan.room_size(plan.room_of(id))});
        }
        rate_ = o.rate * static_cast<double>(pubs_.size()) / plan.publishers;
    }

    void on_open(ClientConn& conn) override { wire_.open(conn, plan_.room_of(conn.id())); }

    void on_message(ClientConn& conn, std::string_view payload, std::int64_t now) override {
        PayloadHeader h;
        switch (wire_.read(payload, h)) {
            case BroadcastWire::Kind::Message:
                return on_broadcast(conn, h, now);
            case BroadcastWire::Kind::Malformed:
                ++counts_.received_total;
                ++counts_.malformed;
                return;
            case BroadcastWire::Kind::Joined:
                return control_.mark_ready();
            case BroadcastWire::Kind::Acked:
                ++counts_.acked;
                return;
            case BroadcastWire::Kind::Failed:
                ++counts_.errors;
                return;
            case BroadcastWire::Kind::Ignored:
                return;
        }
    }

    const Counts& counts() const { return counts_; }

private:
    struct Publisher {
        std::uint32_t slot;
        std::uint32_t id;
        std::uint32_t room_size;  // receivers of each message, itself included
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;  // own copies back up to here: in flight = next_seq - acked
    };

    // Max rate: every publisher fills its window once; its own copies pace it from then on.
    void start(std::int64_t now) override {
        if (o_.rate > 0) return;
        for (Publisher& p : pubs_) top_up(p, now);
    }
    int turn(std::int64_t now) override {
        return o_.rate > 0 && !window_over(now) ? send_at_rate(now) : 20;
    }
    DrainCounts drain_counts() const override {
        return {counts_.expected_in_window, counts_.delivered_in_window};
    }

    void on_broadcast(ClientConn& conn, const PayloadHeader& h, std::int64_t now) {
        ++counts_.received_total;
        if (h.sender >= plan_.publishers || plan_.room_of(h.sender) != plan_.room_of(conn.id())) {
            ++counts_.malformed;
            return;
        }
        running();
        std::uint64_t& next = next_seq_[conn.slot() * per_room_ + h.sender / plan_.rooms];
        if (h.seq < next) {  // seen already: the server sent it twice (or reordered)
            ++counts_.duplicates;
            return;
        }
        counts_.gaps += h.seq - next;
        next = h.seq + 1;
        if (record_if_sent_in_window(h.sent_ns, now)) ++counts_.delivered_in_window;
        if (in_window(now)) ++counts_.received_in_window;
        const std::int32_t pi = publisher_of_slot_[conn.slot()];
        if (pi >= 0 && pubs_[pi].id == h.sender) {  // our own copy: no longer in flight
            Publisher& p = pubs_[pi];
            p.acked = h.seq + 1;
            if (o_.rate == 0) top_up(p, now);
        }
    }

    void send(Publisher& p, std::int64_t now) {
        wire_.send(worker_.conn(p.slot), plan_.room_of(p.id),
                   {.sender = p.id, .seq = p.next_seq++, .sent_ns = now});
        ++counts_.sent_total;
        if (in_window(now)) {
            ++counts_.sent_in_window;
            counts_.expected_in_window += p.room_size;
        }
    }

    // Max rate: keep `window` messages in flight.
    void top_up(Publisher& p, std::int64_t now) {
        if (window_over(now) || !worker_.conn(p.slot).open()) return;
        while (p.next_seq - p.acked < o_.window) send(p, now);
    }

    // Fixed rate: a token bucket for this worker's share, handed out round-robin. Returns
    // how long the loop may wait before the next token is due.
    int send_at_rate(std::int64_t now) {
        if (pubs_.empty()) return 20;
        if (last_token_ns_ == 0) last_token_ns_ = run_start_ns_;
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
    BroadcastWire wire_;
    std::uint32_t per_room_;
    std::vector<std::int32_t> publisher_of_slot_;  // index into pubs_, or -1
    std::vector<Publisher> pubs_;
    std::vector<std::uint64_t> next_seq_;  // [slot * per_room_ + publisher / rooms]
    Counts counts_;
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
    const std::size_t min_size = BroadcastWire::min_size(o.protocol);
    if (o.size < min_size) {
        throw std::invalid_argument("--size must be at least " + std::to_string(min_size) +
                                    " bytes");
    }
    if (o.qos != 0 && o.qos != 1) throw std::invalid_argument("--qos must be 0 or 1");
    if (o.qos == 1 && o.protocol != Protocol::V1) {
        throw std::invalid_argument("--qos 1 needs --protocol v1 (plain rooms store nothing)");
    }
    if (o.window == 0) throw std::invalid_argument("--window must be positive");
    const RoomPlan plan{c.clients, o.rooms, o.publishers};
    if (std::uint64_t{c.clients} * plan.max_publishers_per_room() > 50'000'000) {
        throw std::invalid_argument(
            "clients x publishers per room is too large to track sequences");
    }
}

Report make_report(const BroadcastOptions& o, const Counts& n, const Histogram& latency,
                   const RunFacts& f) {
    const CommonOptions& c = o.common;
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    const double lost =
        static_cast<double>(n.expected_in_window) - static_cast<double>(n.delivered_in_window);
    const bool v1 = o.protocol == Protocol::V1;

    Report r("broadcast");
    r.section("setup");
    r.add_text("url", "url", c.url);
    r.add_text("protocol", "protocol", v1 ? "confab.v1" : "plain rooms");
    if (v1) r.add("qos", "QoS", o.qos);
    r.add("clients", "clients", c.clients);
    r.add("rooms", "rooms", o.rooms);
    r.add("publishers", "publishers", o.publishers);
    r.add("size", v1 ? "data size" : "message size", static_cast<double>(o.size), "B");
    if (o.rate > 0)
        r.add("rate", "target rate", o.rate, "msg/s");
    else
        r.add_text("rate", "target rate", "max");
    r.add("window", "window per publisher", o.window);
    add_run_rows(r, f, o.duration);
    r.section("throughput (measurement window)");
    r.add("delivered_per_s", "delivered", static_cast<double>(n.received_in_window) / seconds,
          "msg/s");
    r.add("sent_per_s", "sent", static_cast<double>(n.sent_in_window) / seconds, "msg/s");
    r.add("delivered_mib_per_s", v1 ? "delivered data" : "delivered payload",
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
    if (v1 && o.qos == 1)
        r.add("acked", "acked publishes (whole run)", static_cast<double>(n.acked));
    if (v1) r.add("errors", "error replies", static_cast<double>(n.errors));
    r.add("drain_ms", "drain after stop", f.drain_ms, "ms", 1);
    r.section("latency, publish to delivery (ms)");
    r.add_latency("latency_ms", latency);
    add_end_rows(r, f);
    return r;
}

}  // namespace

int run_broadcast(const BroadcastOptions& o) {
    validate(o);
    const CommonOptions& c = o.common;
    const RoomPlan plan{c.clients, o.rooms, o.publishers};
    ScenarioRun run(
        c,
        [protocol = o.protocol, &plan](std::uint32_t id) {
            return BroadcastWire::path(protocol, plan.room_of(id));
        },
        o.protocol == Protocol::V1 ? ReadyWhen::HooksSay : ReadyWhen::Open);
    const auto workers =
        run.install<BroadcastWorker>([&](EpollWorker& w, RunControl& ctl, DrainGauge& g) {
            return std::make_unique<BroadcastWorker>(o, plan, w, ctl, g);
        });
    run.connect();
    const RunFacts f = run.measure(o.warmup, o.duration);

    const Counts n = merged_counts(workers);
    return make_report(o, n, *merged_latency(workers), f)
        .print_result(c.json, n.delivered_in_window > 0, "no message was delivered");
}

}  // namespace confab::bench
