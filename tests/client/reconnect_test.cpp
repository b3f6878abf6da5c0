// Reconnecting: a client started before its server, a server restarted (gracefully and by a
// crash) in the middle of a stream, and connections refused for a while.
#include <gtest/gtest.h>

#include <thread>

#include "../support/fault_proxy.hpp"
#include "support/client_fixture.hpp"

namespace confab::testing {
namespace {

TEST(ClientReconnect, ServerDownAtStartThenUpDeliversWhatWasPublishedBefore) {
    ServerProcess server;
    const std::uint16_t port = ServerProcess::free_port();
    Recorder rec;
    Client client =
        make_client("ws://127.0.0.1:" + std::to_string(port) + "/ws", fast_options(&rec));
    ASSERT_TRUE(client.join("early", rec.handlers()));
    auto pub = client.publish("early", numbered(0));  // before any connection
    ASSERT_TRUE(pub) << pub.error().message;

    ASSERT_TRUE(rec.wait(scaled(5s), [](const Recorder& r) {
        for (const auto& s : r.states_locked()) {
            if (s.change.state == ConnectionState::Disconnected &&
                s.change.reason->code == ErrorCode::ConnectFailed) {
                return true;
            }
        }
        return false;
    })) << "no refused attempt was reported while the server was down";
    EXPECT_FALSE(pub->ready());

    server.start(port);
    auto ack = pub->wait_for(scaled(10s));
    ASSERT_TRUE(ack.has_value()) << "no ack after the server came up\n" << server.logs();
    ASSERT_TRUE(*ack) << ack->error().message;
    EXPECT_EQ((*ack)->seq, 1u);
    ASSERT_TRUE(rec.wait_messages(1, scaled(5s)));
    EXPECT_EQ(data_number(rec.messages()[0]), 0);
    EXPECT_EQ(client.state(), ConnectionState::Connected);
}

// A publisher and a subscriber keep going while the server is restarted twice (SIGTERM,
// then SIGKILL): every QoS 1 message is acked, and the subscriber sees each exactly once,
// in publish order.
TEST(ClientReconnect, RestartsMidStreamLoseNothingAndRepeatNothing) {
    ServerProcess server;
    server.start();
    Recorder sub_rec;
    Recorder pub_rec;
    Client sub = make_client(server.url(), fast_options(&sub_rec, "sub"));
    Client pub = make_client(server.url(), fast_options(&pub_rec, "pub"));
    ASSERT_TRUE(sub.join("stream", sub_rec.handlers()));
    ASSERT_TRUE(
        sub_rec.wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));

    constexpr long kMessages = 300;
    std::vector<Publication> pubs;
    std::thread restarter([&] {
        // A graceful restart once a sixth of the stream has arrived, a crash at half.
        sub_rec.wait_messages(kMessages / 6, scaled(20s));
        server.stop();
        server.start();
        sub_rec.wait_messages(kMessages / 2, scaled(20s));
        server.kill();
        server.start();
    });
    for (long i = 0; i < kMessages; ++i) {
        auto p = pub.publish("stream", numbered(i));
        ASSERT_TRUE(p) << p.error().message;
        pubs.push_back(std::move(*p));
        std::this_thread::sleep_for(2ms);
    }
    restarter.join();
    for (long i = 0; i < kMessages; ++i) {
        auto r = pubs[static_cast<std::size_t>(i)].wait_for(scaled(15s));
        ASSERT_TRUE(r.has_value()) << "publication " << i << " never completed\n" << server.logs();
        ASSERT_TRUE(*r) << "publication " << i << ": " << r->error().message;
    }
    ASSERT_TRUE(sub_rec.wait_messages(kMessages, scaled(10s)))
        << "subscriber got " << sub_rec.messages().size() << " of " << kMessages;
    expect_exactly_once_in_order(sub_rec.messages(), kMessages);
    EXPECT_GE(pub_rec.find_state(ConnectionState::Disconnected), 0) << "no restart was seen";
}

// Refused connections are retried with a growing, capped, jittered delay until accepted.
TEST(ClientReconnect, RefusedConnectionsAreRetriedWithCappedBackoff) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    proxy.set_refuse(true);
    Recorder rec;
    ClientOptions o = fast_options(&rec);
    o.reconnect = {.initial_delay = 10ms, .multiplier = 2.0, .max_delay = 80ms};
    Client client = make_client("ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws", o);
    ASSERT_TRUE(rec.wait(scaled(5s), [](const Recorder& r) {
        return r.states_locked().size() >= 12;  // six refused attempts
    }));
    proxy.set_refuse(false);
    const std::size_t seen = rec.state_count();
    ASSERT_TRUE(rec.wait_state(ConnectionState::Connected, scaled(5s), seen));
    std::uint32_t drops = 0;
    for (const auto& s : rec.states()) {
        if (s.change.state != ConnectionState::Disconnected) continue;
        const auto ceiling = std::min<std::int64_t>(80, 10LL << std::min<std::uint32_t>(drops, 20));
        EXPECT_LE(s.change.retry_in.count(), ceiling) << "retry delay #" << drops;
        ++drops;
    }
    EXPECT_GE(proxy.accepted(), 7u);
}

}  // namespace
}  // namespace confab::testing
