// Delivery guarantees seen by the application: QoS 0 is dropped (and the caller told) when
// it cannot be written in time; QoS 1 is never lost and never delivered twice across cut
// connections; a full outbox is reported by the publish call; resume from a seq.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "../support/fault_proxy.hpp"
#include "support/client_fixture.hpp"

namespace confab::testing {
namespace {

TEST(ClientDelivery, Qos0IsDroppedWithinDropAfterWhileDisconnected) {
    const std::uint16_t port = ServerProcess::free_port();  // nobody listens
    Recorder rec;
    ClientOptions o = fast_options(&rec);
    o.drop_after = 100ms;
    Client client = make_client("ws://127.0.0.1:" + std::to_string(port) + "/ws", o);
    std::promise<std::pair<Result<Ack>, Recorder::Clock::time_point>> done;
    const auto published = Recorder::Clock::now();
    auto id =
        client.publish("q0", numbered(1), {.qos = Qos::AtMostOnce}, [&done](const Result<Ack>& r) {
            done.set_value({r, Recorder::Clock::now()});
        });
    ASSERT_TRUE(id) << id.error().message;
    auto fut = done.get_future();
    ASSERT_EQ(fut.wait_for(scaled(3s)), std::future_status::ready);
    auto [result, at] = fut.get();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Dropped) << result.error().message;
    EXPECT_GE(at - published, 100ms);
    EXPECT_LE(at - published, 100ms + scaled(150ms));
}

TEST(ClientDelivery, Qos0IsWrittenAndReceivedWhenConnected) {
    ServerProcess server;
    server.start();
    Recorder rec;
    Client client = make_client(server.url(), fast_options(&rec));
    ASSERT_TRUE(client.join("q0live", rec.handlers()));
    ASSERT_TRUE(rec.wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));
    auto pub = client.publish("q0live", numbered(5), {.qos = Qos::AtMostOnce});
    ASSERT_TRUE(pub);
    auto r = pub->wait_for(scaled(5s));
    ASSERT_TRUE(r && *r) << (r ? r->error().message : "no outcome");
    EXPECT_EQ((*r)->qos, Qos::AtMostOnce);
    ASSERT_TRUE(rec.wait_messages(1, scaled(5s)));
    EXPECT_EQ(rec.messages()[0].qos, Qos::AtMostOnce);
    EXPECT_EQ(data_number(rec.messages()[0]), 5);
}

// Both clients talk through a proxy that cuts every connection again and again while the
// stream runs: every publication is acked, and the subscriber sees each message once, in
// order (the outbox re-sends with the same id; the resume join skips what was seen).
TEST(ClientDelivery, Qos1IsNeverLostNorDeliveredTwiceAcrossCutConnections) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    const std::string url = "ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws";
    Recorder sub_rec;
    Recorder pub_rec;
    Client sub = make_client(url, fast_options(&sub_rec, "sub"));
    Client pub = make_client(url, fast_options(&pub_rec, "pub"));
    ASSERT_TRUE(sub.join("cuts", sub_rec.handlers()));
    ASSERT_TRUE(
        sub_rec.wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));

    constexpr long kMessages = 400;
    std::atomic<bool> publishing{true};
    std::atomic<int> cuts{0};
    std::thread cutter([&] {
        while (publishing.load()) {
            // Cut after some progress each time, so every cut lands mid-stream.
            const std::size_t seen = sub_rec.messages().size();
            sub_rec.wait_messages(seen + 40, scaled(2s));
            if (!publishing.load()) break;
            proxy.cut();
            ++cuts;
        }
    });
    std::vector<Publication> pubs;
    for (long i = 0; i < kMessages; ++i) {
        auto p = pub.publish("cuts", numbered(i));
        ASSERT_TRUE(p) << p.error().message;
        pubs.push_back(std::move(*p));
        if (i % 4 == 0) std::this_thread::sleep_for(2ms);
    }
    int duplicates = 0;
    for (long i = 0; i < kMessages; ++i) {
        auto r = pubs[static_cast<std::size_t>(i)].wait_for(scaled(20s));
        ASSERT_TRUE(r.has_value()) << "publication " << i << " never completed";
        ASSERT_TRUE(*r) << "publication " << i << ": " << r->error().message;
        duplicates += (*r)->duplicate ? 1 : 0;
    }
    const bool all = sub_rec.wait_messages(kMessages, scaled(20s));
    publishing = false;
    cutter.join();
    ASSERT_TRUE(all) << "subscriber got " << sub_rec.messages().size() << " of " << kMessages;
    EXPECT_GE(cuts.load(), 3) << "the stream was not cut often enough to prove anything";
    expect_exactly_once_in_order(sub_rec.messages(), kMessages);
    RecordProperty("cuts", cuts.load());
    RecordProperty("duplicate_acks", duplicates);
}

TEST(ClientDelivery, FullOutboxIsReportedByThePublishCall) {
    ServerProcess server;
    const std::uint16_t port = ServerProcess::free_port();
    ClientOptions o = fast_options();
    o.outbox_limit = 3;
    Client client = make_client("ws://127.0.0.1:" + std::to_string(port) + "/ws", o);
    std::vector<Publication> accepted;
    for (int i = 0; i < 3; ++i) {
        auto p = client.publish("full", numbered(i));
        ASSERT_TRUE(p) << p.error().message;
        accepted.push_back(std::move(*p));
    }
    auto refused = client.publish("full", numbered(3));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::OutboxFull) << refused.error().message;

    server.start(port);  // the three go out and are acked; room for more again
    for (auto& p : accepted) {
        auto r = p.wait_for(scaled(10s));
        ASSERT_TRUE(r && *r) << (r ? r->error().message : "no outcome");
    }
    auto again = client.publish("full", numbered(4));
    ASSERT_TRUE(again) << again.error().message;
    auto r = again->wait_for(scaled(5s));
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->seq, 4u);
}

TEST(ClientDelivery, JoinWithSinceReplaysTheStoredMessagesAfterIt) {
    ServerProcess server;
    server.start();
    Client pub = make_client(server.url(), fast_options());
    for (long i = 1; i <= 5; ++i) {
        auto p = pub.publish("since", numbered(i));
        ASSERT_TRUE(p);
        auto r = p->wait_for(scaled(5s));
        ASSERT_TRUE(r && *r);
    }
    Recorder rec;
    Client sub = make_client(server.url(), fast_options(&rec, "late"));
    ASSERT_TRUE(sub.join("since", rec.handlers(), {.since = 2}));
    ASSERT_TRUE(rec.wait_messages(3, scaled(5s)));
    auto live = pub.publish("since", numbered(6));
    ASSERT_TRUE(live);
    ASSERT_TRUE(rec.wait_messages(4, scaled(5s)));
    const auto got = rec.messages();
    ASSERT_EQ(got.size(), 4u);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].seq, i + 3);
        EXPECT_EQ(data_number(got[i]), static_cast<long>(i + 3));
    }
}

// The session id is a credential: what other members see, and what a client's own messages
// carry, is the public member id the Connected state reports (docs/protocol.md, "Session ids
// are secret").
TEST(ClientDelivery, MessagesCarryThePublicMemberIdReportedOnConnectNeverTheSession) {
    ServerProcess server;
    server.start();
    Recorder a_rec;
    Recorder b_rec;
    Client a = make_client(server.url(), fast_options(&a_rec, "alice"));
    Client b = make_client(server.url(), fast_options(&b_rec, "bob"));
    for (auto [client, rec] : {std::pair{&a, &a_rec}, std::pair{&b, &b_rec}}) {
        ASSERT_TRUE(client->join("public-ids", rec->handlers()));
        ASSERT_TRUE(
            rec->wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));
    }
    const auto states = a_rec.states();
    const long connected = a_rec.find_state(ConnectionState::Connected);
    ASSERT_GE(connected, 0);
    const StateChange& me = states[static_cast<std::size_t>(connected)].change;
    EXPECT_FALSE(me.session.empty());
    EXPECT_EQ(me.member_session.size(), 18u) << me.member_session;
    EXPECT_EQ(me.member_session.rfind("m-", 0), 0u) << me.member_session;
    EXPECT_NE(me.member_session, me.session);

    auto p = a.publish("public-ids", numbered(1));
    ASSERT_TRUE(p);
    auto r = p->wait_for(scaled(5s));
    ASSERT_TRUE(r && *r);
    ASSERT_TRUE(a_rec.wait_messages(1, scaled(5s)));
    ASSERT_TRUE(b_rec.wait_messages(1, scaled(5s)));
    EXPECT_EQ(a_rec.messages()[0].from.session, me.member_session) << "own message unrecognised";
    EXPECT_EQ(b_rec.messages()[0].from.session, me.member_session);
    EXPECT_NE(b_rec.messages()[0].from.session, me.session) << "the session id reached bob";
}

}  // namespace
}  // namespace confab::testing
