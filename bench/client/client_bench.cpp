// What an application sees through libconfab against a real `confab serve`:
//   1. QoS 1 throughput: one client publishes N messages with the outbox kept full, another
//      client in the room receives them; acked/s and delivered/s.
//   2. Reconnect after a server restart: from starting the new server process to the
//      client's Connected state and to its room being re-joined (resumed), for a quick
//      restart and for a longer outage (where the backoff has grown), with a QoS 1 message
//      published while the server was down and its ack time. The server's own start-up
//      (spawn to ready line, seen by polling its stdout) is reported alongside.
// One JSON line per measurement on stdout. Run by `make bench` (never by `make test`).
//
//   confab_client_bench [--messages N] [--size BYTES] [--restarts K] [--outage-ms MS]
#include <confab/client.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/server_process.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Args {
    std::size_t messages = 100'000;
    std::size_t size = 64;
    int restarts = 10;
    int outage_ms = 2'000;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        long value = std::atol(argv[i + 1]);
        if (flag == "--messages") a.messages = static_cast<std::size_t>(value);
        else if (flag == "--size") a.size = static_cast<std::size_t>(value);
        else if (flag == "--restarts") a.restarts = static_cast<int>(value);
        else if (flag == "--outage-ms") a.outage_ms = static_cast<int>(value);
        else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            std::exit(2);
        }
    }
    return a;
}

// Waits, with a deadline, for a counter advanced on the client's thread.
class Progress {
public:
    void add(std::size_t n = 1) {
        std::lock_guard lock(mutex_);
        count_ += n;
        last_ = Clock::now();
        cond_.notify_all();
    }
    bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cond_.wait_for(lock, timeout, [&] { return count_ >= n; });
    }
    std::size_t count() {
        std::lock_guard lock(mutex_);
        return count_;
    }
    Clock::time_point last() {
        std::lock_guard lock(mutex_);
        return last_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cond_;
    std::size_t count_ = 0;
    Clock::time_point last_{};
};

int measure_throughput(const confab::testing::ServerProcess& server, const Args& args) {
    const std::string room = "bench-throughput";
    auto receiver = confab::Client::create(server.url(), {.nick = "receiver"});
    auto publisher = confab::Client::create(server.url(), {.nick = "publisher"});
    if (!receiver || !publisher) return std::fprintf(stderr, "cannot create clients\n"), 1;

    Progress delivered, joined;
    confab::RoomHandlers handlers;
    handlers.on_message = [&](const confab::Message&) { delivered.add(); };
    handlers.on_joined = [&](const confab::Result<confab::Joined>&) { joined.add(); };
    if (!receiver->join(room, handlers) || !joined.wait_for_count(1, 10s)) {
        return std::fprintf(stderr, "receiver did not join\n"), 1;
    }

    // The payload is JSON: a string of `size` bytes minus the quotes.
    const std::string data = "\"" + std::string(args.size > 2 ? args.size - 2 : 1, 'x') + "\"";
    Progress acked;
    std::atomic<std::size_t> failed{0};
    const auto started = Clock::now();
    for (std::size_t i = 0; i < args.messages;) {
        auto sent = publisher->publish(room, data, {}, [&](const confab::Result<confab::Ack>& r) {
            if (!r) failed.fetch_add(1);
            acked.add();
        });
        if (sent) {
            ++i;
        } else if (sent.error().code == confab::ErrorCode::OutboxFull) {
            // Keep the outbox full, not overfull: wait for the next ack.
            acked.wait_for_count(acked.count() + 1, 1s);
        } else {
            return std::fprintf(stderr, "publish: %s\n", sent.error().message.c_str()), 1;
        }
    }
    bool all_acked = acked.wait_for_count(args.messages, 60s);
    bool all_delivered = delivered.wait_for_count(args.messages, 60s);
    double ack_s = ms_between(started, acked.last()) / 1000.0;
    double deliver_s = ms_between(started, delivered.last()) / 1000.0;
    std::printf(
        "{\"scenario\":\"client-qos1-throughput\",\"messages\":%zu,\"size\":%zu,"
        "\"acked\":%zu,\"failed\":%zu,\"delivered\":%zu,\"acked_per_s\":%.0f,"
        "\"delivered_per_s\":%.0f}\n",
        args.messages, args.size, acked.count(), failed.load(), delivered.count(),
        static_cast<double>(acked.count()) / ack_s,
        static_cast<double>(delivered.count()) / deliver_s);
    std::fflush(stdout);
    publisher->close();
    receiver->close();
    return all_acked && all_delivered && failed == 0 ? 0 : 1;
}

// Times of the events the restart measurement waits for, recorded on the client's thread.
struct Timeline {
    std::mutex mutex;
    std::condition_variable cond;
    std::vector<Clock::time_point> connected, joined;

    void record(std::vector<Clock::time_point>& into) {
        std::lock_guard lock(mutex);
        into.push_back(Clock::now());
        cond.notify_all();
    }
    // The first event in `of` at or after `after`.
    std::optional<Clock::time_point> first_after(std::vector<Clock::time_point>& of,
                                                 Clock::time_point after,
                                                 std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        std::optional<Clock::time_point> found;
        cond.wait_for(lock, timeout, [&] {
            auto it = std::find_if(of.begin(), of.end(), [&](auto t) { return t >= after; });
            if (it != of.end()) found = *it;
            return found.has_value();
        });
        return found;
    }
};

struct Percentiles {
    double p50, p90, max;
};

Percentiles percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))]; };
    return {at(0.5), at(0.9), v.back()};
}

int measure_restarts(confab::testing::ServerProcess& server, const Args& args, int outage_ms) {
    const std::string room = "bench-restart";
    Timeline timeline;
    confab::ClientOptions options{.nick = "watcher"};
    options.on_state = [&](const confab::StateChange& s) {
        if (s.state == confab::ConnectionState::Connected) timeline.record(timeline.connected);
    };
    auto client = confab::Client::create(server.url(), options);
    if (!client) return 1;
    confab::RoomHandlers handlers;
    handlers.on_joined = [&](const confab::Result<confab::Joined>& j) {
        if (j) timeline.record(timeline.joined);
    };
    if (!client->join(room, handlers)) return 1;
    if (!timeline.first_after(timeline.joined, Clock::time_point{}, 10s)) return 1;

    std::vector<double> to_ready, to_connected, to_joined, to_acked;
    for (int i = 0; i < args.restarts; ++i) {
        server.stop();
        // Published while the server is down: waits in the outbox, acked after the restart.
        auto offline = client->publish(room, "\"sent while the server was down\"");
        std::this_thread::sleep_for(std::chrono::milliseconds(outage_ms));
        // The client may connect before start() has seen the ready line: time from spawn.
        const auto spawned = Clock::now();
        server.start();
        to_ready.push_back(ms_between(spawned, Clock::now()));
        auto connected = timeline.first_after(timeline.connected, spawned, 30s);
        auto joined = timeline.first_after(timeline.joined, spawned, 30s);
        auto ack = offline ? offline->wait_for(30s) : std::nullopt;
        const auto acked_at = Clock::now();
        if (!connected || !joined || !ack || !*ack) {
            return std::fprintf(stderr, "restart %d: no reconnect within 30 s\n", i), 1;
        }
        to_connected.push_back(ms_between(spawned, *connected));
        to_joined.push_back(ms_between(spawned, *joined));
        to_acked.push_back(ms_between(spawned, acked_at));
    }
    auto r = percentiles(to_ready), c = percentiles(to_connected), j = percentiles(to_joined),
         a = percentiles(to_acked);
    std::printf(
        "{\"scenario\":\"client-reconnect\",\"restarts\":%d,\"outage_ms\":%d,"
        "\"spawn_to_ready_line_ms\":{\"p50\":%.1f,\"p90\":%.1f,\"max\":%.1f},"
        "\"spawn_to_connected_ms\":{\"p50\":%.1f,\"p90\":%.1f,\"max\":%.1f},"
        "\"spawn_to_rejoined_ms\":{\"p50\":%.1f,\"p90\":%.1f,\"max\":%.1f},"
        "\"spawn_to_offline_publish_acked_ms\":{\"p50\":%.1f,\"p90\":%.1f,\"max\":%.1f}}\n",
        args.restarts, outage_ms, r.p50, r.p90, r.max, c.p50, c.p90, c.max, j.p50, j.p90, j.max,
        a.p50, a.p90, a.max);
    std::fflush(stdout);
    client->close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = parse(argc, argv);
    confab::testing::ServerProcess server;
    server.start();
    int failures = measure_throughput(server, args);
    // A quick restart (the server is back before the first retry) and a longer outage,
    // where the client's backoff (100 ms initial, x2, full jitter) has grown.
    if (args.restarts > 0) {
        failures += measure_restarts(server, args, 0);
        failures += measure_restarts(server, args, args.outage_ms);
    }
    server.stop();
    return failures == 0 ? 0 : 1;
}
