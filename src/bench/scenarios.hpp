// The bench scenarios, each a function that runs to completion (bounded by its duration plus
// a grace period), prints its report to stdout and returns the process exit code. Start-up
// problems throw std::invalid_argument / std::runtime_error (the command prints them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/target.hpp"

namespace confab::bench {

using Millis = std::chrono::milliseconds;

// What the clients speak: plain rooms (/ws/rooms/{room}) or confab.v1 (/ws).
enum class Protocol { Plain, V1 };

struct CommonOptions {
    Target target;
    std::string url;  // as given, for the report
    std::uint32_t clients = 1;
    unsigned threads = 1;
    std::vector<in_addr> source_addrs;
    Millis connect_timeout{30'000};
    pid_t server_pid = 0;  // 0: no server readings
    bool json = false;
};

struct BroadcastOptions {
    CommonOptions common;
    Protocol protocol = Protocol::Plain;
    int qos = 0;  // confab.v1 only
    std::uint32_t rooms = 1;
    std::uint32_t publishers = 1;
    std::size_t size = 64;
    double rate = 0;  // messages/s over all publishers; 0 = max (window-limited)
    unsigned window = 1;
    Millis duration{10'000};
    Millis warmup{1'000};
};

struct EchoOptions {
    CommonOptions common;
    unsigned window = 1;
    std::size_t size = 64;
    Millis duration{10'000};
    Millis warmup{1'000};
};

struct IdleOptions {
    CommonOptions common;
    Millis hold{10'000};
};

// confab.v1 QoS 1 publishing: every client publishes into its own room, keeping `window`
// messages un-acked; measures acked messages per second and publish-to-ack latency.
struct V1PublishOptions {
    CommonOptions common;
    unsigned window = 16;
    std::size_t size = 64;  // bytes of the data string
    Millis duration{10'000};
    Millis warmup{1'000};
};

// A reconnect storm: `common.clients` confab.v1 receivers (and one publisher) join `room`
// (or spread over `rooms` rooms, so that each join's presence fan-out is smaller);
// the publisher has `messages_before` QoS 1 messages acked; then the server is restarted from
// outside (same address, same data dir). Every client reconnects within `jitter` of the
// server accepting again and resumes (hello with its session, join with since + epoch); the
// publisher then publishes `messages_after` more. Measures outage and resume times and
// checks that every receiver saw every acked message exactly once, in order.
struct StormOptions {
    CommonOptions common;
    std::string room = "storm";
    std::uint32_t rooms = 1;  // > 1: receiver i joins <room>-<i % rooms>; the publisher, all
    std::uint64_t messages_before = 100;  // per room
    std::uint64_t messages_after = 0;
    unsigned window = 64;            // the publisher's un-acked messages
    Millis jitter{0};                // each client waits a random 0..jitter before reconnecting
    Millis outage_timeout{120'000};  // for the server to go away and to come back
    Millis resume_timeout{60'000};   // for every client to resume after it is back
    std::string ready_file;          // created when the bench is ready for the restart
};

// HTTP publishing over keep-alive: `common.clients` connections (to an http:// URL), each
// keeping up to `window` POST /api/rooms/{room}/messages pipelined; counts the answers by
// status and measures requests per second and request latency.
struct HttpPublishOptions {
    CommonOptions common;
    std::string room = "bench-http";
    unsigned window = 1;
    int qos = 0;
    std::size_t size = 64;  // bytes of the data string
    Millis duration{10'000};
    Millis warmup{1'000};
};

int run_broadcast(const BroadcastOptions& options);
int run_storm(const StormOptions& options);
int run_http_publish(const HttpPublishOptions& options);
int run_v1_publish(const V1PublishOptions& options);
int run_echo(const EchoOptions& options);
int run_idle(const IdleOptions& options);

// After sending stops, how long scenarios wait for messages still in flight.
inline constexpr Millis kDrainGrace{2'000};

}  // namespace confab::bench
