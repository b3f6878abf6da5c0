// Keepalive: a server that stops answering (a black-holing link: TCP stays up, bytes vanish)
// is detected within ping_interval + pong_timeout, and a slow but live link is not.
#include <gtest/gtest.h>

#include "../support/fault_proxy.hpp"
#include "support/client_fixture.hpp"

namespace confab::testing {
namespace {

TEST(ClientKeepalive, ZombieServerIsDetectedWithinPingIntervalPlusTimeout) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    Recorder rec;
    ClientOptions o = fast_options(&rec);
    o.ping_interval = 300ms;
    o.pong_timeout = 200ms;
    o.connect_timeout = scaled(1s);
    Client client = make_client("ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws", o);
    ASSERT_TRUE(client.join("z", rec.handlers()));
    ASSERT_TRUE(rec.wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));

    const auto silenced = Recorder::Clock::now();
    proxy.set_blackhole(true);
    const std::size_t before = rec.state_count();
    ASSERT_TRUE(rec.wait_state(ConnectionState::Disconnected, scaled(3s), before));
    const auto s = rec.states()[static_cast<std::size_t>(
        rec.find_state(ConnectionState::Disconnected, before))];
    ASSERT_TRUE(s.change.reason.has_value());
    EXPECT_EQ(s.change.reason->code, ErrorCode::Timeout) << s.change.reason->message;
    const auto took = s.at - silenced;
    // At least the pong timeout (it was the keepalive), at most interval + timeout (+ slack
    // for a loaded machine).
    EXPECT_GE(took, 200ms);
    EXPECT_LE(took, 500ms + scaled(250ms));

    // The link heals: the client reconnects on its own and works again.
    proxy.set_blackhole(false);
    const std::size_t healed = rec.state_count();
    ASSERT_TRUE(rec.wait_state(ConnectionState::Connected, scaled(5s), healed));
    auto pub = client.publish("z", numbered(1));
    ASSERT_TRUE(pub);
    auto ack = pub->wait_for(scaled(5s));
    ASSERT_TRUE(ack && *ack);
}

TEST(ClientKeepalive, SlowButLiveLinkIsNotMistakenForAZombie) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    proxy.set_delay(100ms);  // each way: a ping's answer takes ~200 ms
    Recorder rec;
    ClientOptions o = fast_options(&rec);
    o.ping_interval = 150ms;
    o.pong_timeout = scaled(400ms);
    Client client = make_client("ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws", o);
    ASSERT_TRUE(rec.wait_state(ConnectionState::Connected, scaled(5s)));
    const std::size_t connected = rec.state_count();
    // Several ping rounds pass without a disconnect (an absence, so it takes the full time).
    EXPECT_FALSE(rec.wait_state(ConnectionState::Disconnected, 1200ms, connected));
    auto pub = client.publish("slow", numbered(1));
    ASSERT_TRUE(pub);
    auto ack = pub->wait_for(scaled(5s));
    ASSERT_TRUE(ack && *ack);
}

}  // namespace
}  // namespace confab::testing
