// Shared pieces of the client's integration tests: fast reconnect options, a client that
// must be created, and publishing numbered QoS 1 messages. Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <confab/client.hpp>
#include <string>
#include <vector>

#include "recorder.hpp"
#include "server_process.hpp"

namespace confab::testing {

using namespace std::chrono_literals;

// Reconnect quickly (tests restart servers), keep the library's other defaults.
inline ClientOptions fast_options(Recorder* rec = nullptr, std::string nick = "tester") {
    ClientOptions o;
    o.nick = std::move(nick);
    o.reconnect = {.initial_delay = 20ms, .multiplier = 2.0, .max_delay = 300ms};
    o.connect_timeout = scaled(3s);
    if (rec != nullptr) o.on_state = rec->on_state();
    return o;
}

inline Client make_client(const std::string& url, ClientOptions options) {
    auto c = Client::create(url, std::move(options));
    if (!c) throw std::runtime_error("Client::create: " + c.error().message);
    return std::move(*c);
}

inline std::string numbered(long n) {
    return "{\"n\":" + std::to_string(n) + "}";
}

// Checks that `got` holds the data numbers 0..n-1 exactly once, in order, with strictly
// consecutive seqs (no gap, no duplicate).
inline void expect_exactly_once_in_order(const std::vector<Message>& got, long n) {
    ASSERT_EQ(static_cast<long>(got.size()), n) << "messages received";
    for (long i = 0; i < n; ++i) {
        ASSERT_EQ(data_number(got[static_cast<std::size_t>(i)]), i) << "message #" << i;
        if (i > 0) {
            ASSERT_EQ(got[static_cast<std::size_t>(i)].seq,
                      got[static_cast<std::size_t>(i - 1)].seq + 1)
                << "seq after message #" << i - 1;
        }
    }
}

}  // namespace confab::testing
