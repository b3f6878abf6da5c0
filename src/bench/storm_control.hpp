// What the storm scenario's main thread and its workers share: the stage the run is in
// (set by the main thread) and what every worker reports back (one gauge per worker).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace confab::bench {

enum class StormStage : int {
    Join,         // first connect: hello, join without since
    Publish,      // the publisher sends the messages before the restart; receivers get them
    AwaitOutage,  // ready for the restart: connections are expected to close
    Reconnect,    // the server accepts again: every client reconnects and resumes
};

struct StormControl {
    explicit StormControl(std::uint32_t rooms)
        : last_acked(std::make_unique<std::atomic<std::uint64_t>[]>(rooms)) {}

    std::atomic<StormStage> stage{StormStage::Join};
    // When the restarted server first accepted (CLOCK_MONOTONIC); written before stage
    // becomes Reconnect (release), read after seeing it (acquire).
    std::int64_t accepting_ns = 0;
    // Publisher: per room, the highest seq acked so far (written before `acked` is counted
    // up, release), and the acks in all (the main thread knows how many each stage wants).
    std::unique_ptr<std::atomic<std::uint64_t>[]> last_acked;
    std::atomic<std::uint64_t> acked{0};
};

// One worker's report (one cache line each).
struct alignas(64) StormGauge {
    std::atomic<std::uint32_t> closed{0};  // connections that were open and closed
    std::atomic<std::int64_t> first_close_ns{INT64_MAX};
    std::atomic<std::int64_t> last_close_ns{0};
    std::atomic<std::uint32_t> resumed{0};       // receivers resumed after the restart
    std::atomic<std::uint32_t> caught_up{0};     // receivers that have seen their last_acked
    std::atomic<std::uint64_t> caught_up_of{0};  // ... when StormControl::acked was this
};

}  // namespace confab::bench
