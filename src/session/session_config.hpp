// Limits and timeouts every session obeys; built from the server's flags, read-only after
// start-up (shared by all loops).
#pragma once

#include <chrono>
#include <cstddef>

#include "net/outbox.hpp"

namespace confab::session {

struct SessionConfig {
    std::size_t max_message_size = 1 << 20;
    net::OutboxLimits outbox{};
    std::chrono::milliseconds ping_interval{30'000};  // silence before the server pings
    std::chrono::milliseconds pong_timeout{10'000};   // silence after a ping before closing
    std::chrono::milliseconds handshake_timeout{10'000};  // to finish an HTTP request head
    std::chrono::milliseconds keepalive_idle{60'000};  // idle HTTP keep-alive connections
    std::chrono::milliseconds close_timeout{5'000};   // waiting for the peer's Close
    bool permessage_deflate = true;
    std::size_t deflate_min_size = 128;  // smaller messages are not worth compressing
    std::size_t max_line_bytes = 4096;   // telnet
    // Joins and leaves are sent to a room's members only while it has at most this many
    // members on the loop: in a room of N, N joins would cost N²/2 frames (a reconnect storm
    // of 10,000 clients into one room: 50 M). The presence/{room} feed and `members` still
    // have everyone. 0: never sent to members.
    std::size_t presence_fanout_limit = 1000;
    std::size_t max_request_body = 64 * 1024;
    std::size_t max_request_header = 8 * 1024;
};

}  // namespace confab::session
