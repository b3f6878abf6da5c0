// The bench scenarios, each a function that runs to completion (bounded by its duration plus
// a grace period), prints its report to stdout and returns the process exit code. Start-up
// problems throw std::invalid_argument / std::runtime_error (the command prints them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "bench/target.hpp"

namespace confab::bench {

using Millis = std::chrono::milliseconds;

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

int run_broadcast(const BroadcastOptions& options);
int run_v1_publish(const V1PublishOptions& options);
int run_echo(const EchoOptions& options);
int run_idle(const IdleOptions& options);

// After sending stops, how long scenarios wait for messages still in flight.
inline constexpr Millis kDrainGrace{2'000};

}  // namespace confab::bench
