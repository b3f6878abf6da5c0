#include "bench/storm_worker.hpp"

#include <algorithm>

#include "bench/v1_text.hpp"

namespace confab::bench {
namespace {

// A reconnect that failed (refused, reset, closed again) is retried after this long, as a
// client's first backoff step would.
constexpr std::int64_t kRetryNs = 100'000'000;
// How often the receivers' progress is summed for the main thread.
constexpr std::int64_t kCaughtUpCheckNs = 5'000'000;

}  // namespace

std::string storm_room(const StormOptions& o, std::uint32_t index) {
    return o.rooms == 1 ? o.room : o.room + "-" + std::to_string(index);
}

void StormTally::merge(const StormTally& o) {
    receivers += o.receivers;
    exact += o.exact;
    missing += o.missing;
    duplicates += o.duplicates;
    skipped += o.skipped;
    beyond_acked += o.beyond_acked;
    resumed += o.resumed;
    not_recovered += o.not_recovered;
    errors += o.errors;
    connect_failures += o.connect_failures;
    closed_again += o.closed_again;
    presence += o.presence;
}

StormWorker::StormWorker(const StormOptions& o, EpollWorker& worker, RunControl& control,
                         StormControl& storm, StormGauge& gauge)
    : o_(o),
      worker_(worker),
      control_(control),
      storm_(storm),
      gauge_(gauge),
      receivers_(o.common.clients),
      slots_(worker.size()),
      rng_(0x5eed0000u + worker.conn(0).id()),
      connect_latency_(std::make_unique<Histogram>()),
      resume_latency_(std::make_unique<Histogram>()) {
    for (std::uint32_t slot = 0; slot < worker.size(); ++slot) {
        if (!is_publisher(worker.conn(slot))) continue;
        publisher_ = std::make_unique<Publisher>();
        publisher_->slot = slot;
    }
}

void StormWorker::on_open(ClientConn& conn) {
    const bool again = stage() == StormStage::Reconnect;
    if (is_publisher(conn)) {
        // The publisher keeps its session (its ids stay idempotent) but wants no replay.
        conn.send_text(v1::hello("publisher", publisher_->session));
        publisher_->rooms_joined = 0;
        for (std::uint32_t room = 0; room < o_.rooms; ++room) {
            conn.send_text(v1::join(storm_room(o_, room)));
        }
        return;
    }
    Receiver& r = slots_[conn.slot()];
    const std::string room = storm_room(o_, room_of(conn));
    if (!again) {
        conn.send_text(v1::hello("storm"));
        conn.send_text(v1::join(room));
        return;
    }
    connect_latency_->record(static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, monotonic_ns() - r.connect_started_ns)));
    conn.send_text(v1::hello("storm", r.session));
    conn.send_text(v1::join(room, r.ledger.last(), r.epoch));
}

void StormWorker::on_message(ClientConn& conn, std::string_view json, std::int64_t now) {
    if (is_publisher(conn)) return on_publisher_message(json);
    on_receiver_message(conn, json, now);
}

void StormWorker::on_receiver_message(ClientConn& conn, std::string_view json, std::int64_t now) {
    Receiver& r = slots_[conn.slot()];
    switch (v1::type_of(json)) {
        case v1::Type::Msg: {
            const auto seq = v1::uint_field(v1::envelope(json), "seq");
            if (!seq) {
                ++counts_.errors;  // a QoS 0 message in a QoS 1 room: not the bench's
                return;
            }
            r.ledger.observe(*seq);
            return check_resumed(r, now);
        }
        case v1::Type::Welcome:
            if (r.session.empty()) r.session = v1::string_field(json, "session").value_or("");
            return;
        case v1::Type::Joined: {
            if (r.epoch.empty()) {  // the first join
                r.epoch = v1::string_field(json, "epoch").value_or("");
                return control_.mark_ready();
            }
            if (!v1::bool_field(json, "recovered").value_or(false)) ++counts_.not_recovered;
            r.resume_target = v1::uint_field(json, "last_seq").value_or(0);
            r.awaiting_resume = true;
            return check_resumed(r, now);
        }
        case v1::Type::Error:
            ++counts_.errors;
            return;
        case v1::Type::Presence:
            ++counts_.presence;
            return;
        default:
            return;
    }
}

void StormWorker::check_resumed(Receiver& r, std::int64_t now) {
    if (!r.awaiting_resume || !r.ledger.reached(r.resume_target)) return;
    r.awaiting_resume = false;
    if (r.resumed) return;  // resumed once already; this was a later reconnect
    r.resumed = true;
    last_resumed_ns_ = std::max(last_resumed_ns_, now);
    resume_latency_->record(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - storm_.accepting_ns)));
    gauge_.resumed.fetch_add(1, std::memory_order_relaxed);
}

void StormWorker::on_publisher_message(std::string_view json) {
    Publisher& p = *publisher_;
    switch (v1::type_of(json)) {
        case v1::Type::Welcome:
            if (p.session.empty()) p.session = v1::string_field(json, "session").value_or("");
            return;
        case v1::Type::Joined:
            if (++p.rooms_joined < o_.rooms) return;
            if (stage() == StormStage::Join) control_.mark_ready();
            p.joined = true;
            return top_up();
        case v1::Type::Ack: {
            ++p.acked;
            const std::uint64_t seq = v1::uint_field(json, "seq").value_or(0);
            const std::uint32_t room = room_index(v1::string_field(json, "room").value_or(""));
            std::atomic<std::uint64_t>& last = storm_.last_acked[room];
            if (seq > last.load(std::memory_order_relaxed))
                last.store(seq, std::memory_order_relaxed);
            storm_.acked.fetch_add(1, std::memory_order_release);
            return top_up();
        }
        case v1::Type::Error:
            ++counts_.errors;
            return;
        default:
            return;  // its own msg, presence
    }
}

std::uint32_t StormWorker::room_index(std::string_view name) const {
    if (o_.rooms == 1) return 0;
    std::uint32_t index = 0;
    for (char c : name.substr(name.rfind('-') + 1))
        index = index * 10 + static_cast<std::uint32_t>(c - '0');
    return index < o_.rooms ? index : 0;
}

void StormWorker::publish_more(std::uint64_t target) {
    if (!publisher_) return;
    publisher_->target = std::max(publisher_->target, target);
    top_up();
}

void StormWorker::top_up() {
    Publisher& p = *publisher_;
    ClientConn& conn = worker_.conn(p.slot);
    while (p.joined && conn.open() && p.sent < p.target && p.sent - p.acked < o_.window) {
        const std::uint32_t room = static_cast<std::uint32_t>(p.sent % o_.rooms);
        const std::string id = "p" + std::to_string(p.sent++);
        conn.send_text(v1::pub(storm_room(o_, room), 1, id, "storm " + id));
    }
}

void StormWorker::on_closed(ClientConn& conn, const CloseInfo& info) {
    if (control_.phase.load(std::memory_order_relaxed) == Phase::Stop) return;  // the bench's own
    const std::int64_t now = monotonic_ns();
    const bool again = stage() == StormStage::Reconnect;
    if (is_publisher(conn)) publisher_->joined = false;
    if (!info.was_open) {  // a reconnect attempt failed: retry like a client would
        ++counts_.connect_failures;
        due_.push({now + kRetryNs, conn.slot()});
        return;
    }
    if (again) {
        ++counts_.closed_again;
        due_.push({now + kRetryNs, conn.slot()});
        return;
    }
    gauge_.closed.fetch_add(1, std::memory_order_relaxed);
    if (now < gauge_.first_close_ns.load(std::memory_order_relaxed)) {
        gauge_.first_close_ns.store(now, std::memory_order_relaxed);
    }
    gauge_.last_close_ns.store(now, std::memory_order_relaxed);
}

void StormWorker::schedule_reconnects() {
    scheduled_ = true;
    const std::int64_t at = storm_.accepting_ns;
    std::uniform_int_distribution<std::int64_t> jitter(0,
                                                       std::chrono::nanoseconds(o_.jitter).count());
    for (std::uint32_t slot = 0; slot < worker_.size(); ++slot) {
        // The publisher comes back at once: what it publishes now is what late receivers
        // must get through their resume.
        const bool pub = is_publisher(worker_.conn(slot));
        due_.push({pub ? at : at + jitter(rng_), slot});
    }
}

void StormWorker::report_caught_up() {
    // Read first: the per-room seqs read below are at least as new as this count.
    const std::uint64_t acked = storm_.acked.load(std::memory_order_acquire);
    std::uint32_t n = 0;
    for (std::uint32_t slot = 0; slot < worker_.size(); ++slot) {
        const ClientConn& conn = worker_.conn(slot);
        if (is_publisher(conn)) continue;
        const std::uint64_t target =
            storm_.last_acked[room_of(conn)].load(std::memory_order_relaxed);
        if (slots_[slot].ledger.reached(target)) ++n;
    }
    gauge_.caught_up.store(n, std::memory_order_relaxed);
    gauge_.caught_up_of.store(acked, std::memory_order_release);
}

int StormWorker::on_turn(Phase phase, std::int64_t now) {
    if (phase != Phase::Run) return 20;
    const StormStage s = stage();
    if (s == StormStage::Publish) publish_more(o_.messages_before * o_.rooms);
    if (s == StormStage::Reconnect) {
        if (!scheduled_) schedule_reconnects();
        publish_more((o_.messages_before + o_.messages_after) * o_.rooms);
    }
    while (!due_.empty() && due_.top().first <= now) {
        const std::uint32_t slot = due_.top().second;
        due_.pop();
        slots_[slot].connect_started_ns = now;
        worker_.connect_now(slot);
    }
    if (now >= next_caught_up_check_) {
        report_caught_up();
        next_caught_up_check_ = now + kCaughtUpCheckNs;
    }
    if (due_.empty()) return 5;
    return static_cast<int>(std::clamp<std::int64_t>((due_.top().first - now) / 1'000'000, 0, 5));
}

StormTally StormWorker::tally(const StormControl& storm) const {
    StormTally t = counts_;
    for (std::uint32_t slot = 0; slot < worker_.size(); ++slot) {
        const ClientConn& conn = worker_.conn(slot);
        if (is_publisher(conn)) continue;
        const std::uint64_t last_acked = storm.last_acked[room_of(conn)].load();
        const Receiver& r = slots_[slot];
        ++t.receivers;
        if (r.ledger.exact(last_acked)) ++t.exact;
        t.missing += r.ledger.missing(last_acked);
        t.duplicates += r.ledger.duplicates();
        t.skipped += r.ledger.skipped();
        if (r.ledger.last() > last_acked) ++t.beyond_acked;
        if (r.resumed) ++t.resumed;
    }
    return t;
}

}  // namespace confab::bench
