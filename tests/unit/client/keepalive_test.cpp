#include "client/keepalive.hpp"

#include <gtest/gtest.h>

namespace confab::client {
namespace {

using namespace std::chrono_literals;
using Action = Keepalive::Action;

TEST(Keepalive, PingsAfterAnIntervalOfSilenceAndDeclaresDeathAfterTheTimeout) {
    Keepalive k(1000ms, 500ms);
    const auto t0 = Keepalive::Clock::time_point{} + 1h;
    k.start(t0);
    EXPECT_EQ(k.poll(t0 + 999ms), Action::Wait);
    EXPECT_EQ(k.next_deadline(), t0 + 1000ms);
    EXPECT_EQ(k.poll(t0 + 1000ms), Action::SendPing);
    EXPECT_EQ(k.poll(t0 + 1100ms), Action::Wait);  // one ping per silence
    EXPECT_EQ(k.next_deadline(), t0 + 1500ms);
    EXPECT_EQ(k.poll(t0 + 1500ms), Action::Dead);
}

TEST(Keepalive, AnyBytesFromTheServerCountAsLife) {
    Keepalive k(1000ms, 500ms);
    const auto t0 = Keepalive::Clock::time_point{} + 1h;
    k.start(t0);
    EXPECT_EQ(k.poll(t0 + 1000ms), Action::SendPing);
    k.on_received(t0 + 1200ms);  // the pong (or anything else)
    EXPECT_EQ(k.poll(t0 + 1600ms), Action::Wait);
    EXPECT_EQ(k.next_deadline(), t0 + 2200ms);
    EXPECT_EQ(k.poll(t0 + 2200ms), Action::SendPing);
}

TEST(Keepalive, ABusyConnectionIsNeverPinged) {
    Keepalive k(1000ms, 500ms);
    auto t = Keepalive::Clock::time_point{} + 1h;
    k.start(t);
    for (int i = 0; i < 10; ++i) {
        t += 900ms;
        k.on_received(t);
        EXPECT_EQ(k.poll(t), Action::Wait);
    }
}

}  // namespace
}  // namespace confab::client
