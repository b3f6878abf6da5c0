// One confab::Client used from many threads at once: QoS 1 and QoS 0 publishers, a thread
// that joins and leaves, while a proxy keeps cutting the connection. Every acked QoS 1
// message reaches a subscriber exactly once, in each publisher's order, at the seq its ack
// named; then close() returns while threads are still calling in. Meant to run under
// ThreadSanitizer too (make test-tsan), where a data race fails it.
#include <gtest/gtest.h>

#include <atomic>
#include <compare>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "../support/fault_proxy.hpp"
#include "support/client_fixture.hpp"

namespace confab::testing {
namespace {

constexpr const char* kRoom = "concurrent";
constexpr long kQos1Publishers = 4;
constexpr long kPerPublisher = 100;
constexpr long kQos0Publisher = kQos1Publishers;  // its thread number in the data
constexpr long kQos0Messages = 100;
constexpr std::size_t kMessagesPerCut = 15;
constexpr std::chrono::milliseconds kLinkDelay{5};
// Between two publications of one thread: the stream lasts about half a second, long enough
// for several cuts.
constexpr std::chrono::milliseconds kPublishPace{5};

// Which publisher thread sent a message, and its number there: data {"t":2,"n":17}.
struct Origin {
    long thread = -1;
    long n = -1;
    auto operator<=>(const Origin&) const = default;
};

std::string tagged(Origin o) {
    return "{\"t\":" + std::to_string(o.thread) + ",\"n\":" + std::to_string(o.n) + "}";
}

Origin origin_of(const Message& m) {
    auto j = nlohmann::json::parse(m.data, nullptr, false);
    if (!j.is_object() || !j["t"].is_number_integer() || !j["n"].is_number_integer()) return {};
    return {j["t"].get<long>(), j["n"].get<long>()};
}

// Publication outcomes by origin, filled from the client's thread (callbacks) and the test's.
class Outcomes {
public:
    void add(Origin o, const Result<Ack>& r) {
        {
            std::lock_guard lock(mutex_);
            by_origin_.emplace(o, r);
            ++added_;
        }
        changed_.notify_all();
    }
    bool wait_count(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return added_ >= n; });
    }
    std::map<Origin, Result<Ack>> snapshot() const {
        std::lock_guard lock(mutex_);
        return by_origin_;
    }
    std::size_t added() const {
        std::lock_guard lock(mutex_);
        return added_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<Origin, Result<Ack>> by_origin_;
    std::size_t added_ = 0;  // counts repeats too: a second outcome for one origin is a bug
};

// Publisher thread `t` publishes kPerPublisher QoS 1 messages; even threads keep the
// Publication (waited for later), odd ones pass a callback: both completion paths race.
void publish_qos1(Client& pub, long t, Outcomes& outcomes, std::vector<Publication>& kept,
                  std::atomic<int>& refused) {
    for (long n = 0; n < kPerPublisher; ++n) {
        const Origin o{t, n};
        if (t % 2 == 0) {
            auto p = pub.publish(kRoom, tagged(o));
            p ? kept.push_back(std::move(*p)) : void(++refused);
        } else {
            auto id = pub.publish(kRoom, tagged(o), {},
                                  [&outcomes, o](const Result<Ack>& r) { outcomes.add(o, r); });
            if (!id) ++refused;
        }
        std::this_thread::sleep_for(kPublishPace);
    }
}

void expect_qos1_exactly_once_in_order(const std::vector<Message>& got,
                                       const std::map<Origin, Result<Ack>>& acks) {
    std::vector<long> next_n(kQos1Publishers, 0);
    std::uint64_t last_seq = 0;
    std::size_t count = 0;
    for (const Message& m : got) {
        if (m.qos != Qos::AtLeastOnce) continue;
        ++count;
        const Origin o = origin_of(m);
        ASSERT_TRUE(o.thread >= 0 && o.thread < kQos1Publishers) << m.data;
        ASSERT_EQ(o.n, next_n[static_cast<std::size_t>(o.thread)]++)
            << "publisher " << o.thread << " out of order or repeated at seq " << m.seq;
        if (last_seq != 0) {
            ASSERT_EQ(m.seq, last_seq + 1) << "gap or repeat after seq " << last_seq;
        }
        last_seq = m.seq;
        auto ack = acks.find(o);
        ASSERT_TRUE(ack != acks.end() && ack->second) << "delivered but not acked: " << m.data;
        EXPECT_EQ(ack->second->seq, m.seq) << "the ack named another seq for " << m.data;
    }
    EXPECT_EQ(count, acks.size()) << "QoS 1 messages delivered vs acked";
}

TEST(ClientConcurrency, PublishersJoinersAndCutsOnOneClientLoseAndRepeatNothing) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    // A slow link keeps publications in flight (sent, not yet acked) whenever a cut lands:
    // those are the ones the outbox must send again.
    proxy.set_delay(kLinkDelay);
    const std::string url = "ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws";
    // What the clients' callbacks touch is declared before the clients: it outlives them.
    Recorder sub_rec;
    Outcomes qos1;
    Outcomes qos0;
    std::atomic<int> own_messages{0};  // the publisher's own rooms deliver too; not checked
    Client sub = make_client(url, fast_options(&sub_rec, "sub"));
    ASSERT_TRUE(sub.join(kRoom, sub_rec.handlers()));
    ASSERT_TRUE(
        sub_rec.wait(scaled(5s), [](const Recorder& r) { return !r.joins_locked().empty(); }));
    Client pub = make_client(url, fast_options(nullptr, "pub"));

    std::atomic<bool> publishing{true};
    std::atomic<bool> draining{true};
    std::atomic<int> cuts{0};
    std::thread cutter([&] {
        // Cut after every kMessagesPerCut deliveries, so every cut lands mid-stream.
        std::size_t cut_at = kMessagesPerCut;
        while (draining.load()) {
            if (!sub_rec.wait(20ms, [&](const Recorder& r) {
                    return r.messages_locked().size() >= cut_at;
                })) {
                continue;  // look at `draining` again
            }
            proxy.cut();
            ++cuts;
            cut_at = sub_rec.messages().size() + kMessagesPerCut;
        }
    });
    std::atomic<int> membership_errors{0};
    std::thread joiner([&] {
        RoomHandlers own;
        own.on_message = [&](const Message&) { ++own_messages; };
        for (int i = 0; publishing.load(); ++i) {
            // The published room too: leaving it while its outbox is full must not lose it.
            const std::string room =
                i % 2 == 0 ? std::string(kRoom) : "side-" + std::to_string(i % 3);
            if (!pub.join(room, own)) ++membership_errors;
            std::this_thread::sleep_for(2ms);
            if (!pub.leave(room)) ++membership_errors;
        }
    });
    std::atomic<int> refused{0};
    std::vector<std::vector<Publication>> kept(kQos1Publishers);
    std::vector<std::thread> publishers;
    for (long t = 0; t < kQos1Publishers; ++t) {
        publishers.emplace_back(
            [&, t] { publish_qos1(pub, t, qos1, kept[static_cast<std::size_t>(t)], refused); });
    }
    publishers.emplace_back([&] {
        for (long n = 0; n < kQos0Messages; ++n) {
            const Origin o{kQos0Publisher, n};
            auto id = pub.publish(kRoom, tagged(o), {.qos = Qos::AtMostOnce},
                                  [&qos0, o](const Result<Ack>& r) { qos0.add(o, r); });
            if (!id) ++refused;
            std::this_thread::sleep_for(kPublishPace);
        }
    });
    for (auto& t : publishers) t.join();
    publishing = false;
    joiner.join();

    // The cutter goes on while the outbox drains: re-sends cross further cuts. Nothing is
    // asserted before it is stopped (a failed ASSERT would leave its thread joinable).
    const auto deadline = std::chrono::steady_clock::now() + scaled(20s);
    auto left = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::max(deadline - std::chrono::steady_clock::now(), Recorder::Clock::duration{}));
    };
    for (long t = 0; t < kQos1Publishers; t += 2) {
        auto& list = kept[static_cast<std::size_t>(t)];
        for (std::size_t n = 0; n < list.size(); ++n) {
            if (auto r = list[n].wait_for(left())) qos1.add({t, static_cast<long>(n)}, *r);
        }
    }
    const std::size_t total_qos1 = kQos1Publishers * kPerPublisher;
    const bool all_acked = qos1.wait_count(total_qos1, left());
    const bool all_qos0_done = qos0.wait_count(kQos0Messages, scaled(5s));
    const bool all_delivered = sub_rec.wait(scaled(20s), [&](const Recorder& r) {
        std::size_t n = 0;
        for (const Message& m : r.messages_locked()) n += m.qos == Qos::AtLeastOnce ? 1 : 0;
        return n >= total_qos1;
    });
    draining = false;
    cutter.join();
    pub.close();
    sub.close();

    ASSERT_TRUE(all_acked) << qos1.added() << " of " << total_qos1 << " QoS 1 outcomes";
    ASSERT_TRUE(all_qos0_done) << qos0.added() << " of " << kQos0Messages << " QoS 0 outcomes";
    EXPECT_EQ(refused.load(), 0) << "publish calls refused";
    EXPECT_EQ(membership_errors.load(), 0) << "join/leave calls refused";
    EXPECT_GE(cuts.load(), 3) << "the stream was not cut often enough to prove anything";
    const auto acks = qos1.snapshot();
    ASSERT_EQ(acks.size(), total_qos1) << "an outcome arrived twice for some publication";
    for (const auto& [o, r] : acks) {
        ASSERT_TRUE(r) << "publication " << o.thread << "/" << o.n << ": " << r.error().message;
    }
    ASSERT_TRUE(all_delivered) << "the subscriber got " << sub_rec.messages().size()
                               << " messages (QoS 0 included)";
    expect_qos1_exactly_once_in_order(sub_rec.messages(), acks);
    for (const auto& [o, r] : qos0.snapshot()) {  // written, or dropped and told: nothing else
        EXPECT_TRUE(r || r.error().code == ErrorCode::Dropped) << r.error().message;
    }
    std::set<Origin> qos0_seen;  // QoS 0 is never re-sent: at most once
    for (const Message& m : sub_rec.messages()) {
        if (m.qos == Qos::AtMostOnce) {
            EXPECT_TRUE(qos0_seen.insert(origin_of(m)).second) << "QoS 0 twice: " << m.data;
        }
    }
    RecordProperty("cuts", cuts.load());
}

// close() from the test thread while other threads keep publishing, joining and leaving:
// it returns, every call after it says Closed, every Publication is complete, and no
// callback runs after it returned.
TEST(ClientConcurrency, CloseReturnsWhileOtherThreadsKeepCallingIn) {
    ServerProcess server;
    server.start();
    FaultProxy proxy(server.port());
    std::atomic<bool> close_returned{false};
    std::atomic<int> late_callbacks{0};
    std::atomic<int> open_after_close{0};  // calls accepted after close() returned
    std::atomic<long> calls{0};
    std::mutex kept_mutex;
    std::vector<Publication> kept;
    Client pub = make_client("ws://127.0.0.1:" + std::to_string(proxy.port()) + "/ws",
                             fast_options(nullptr, "closing"));
    // Thread 0 publishes QoS 1, thread 1 QoS 0, thread 2 joins and leaves; each until a call
    // says Closed.
    auto call_until_closed = [&](long t) {
        for (long n = 0;; ++n, ++calls) {
            const bool after = close_returned.load();
            bool accepted = false;
            bool closed = false;
            auto note = [&](const auto& r) {
                accepted = accepted || static_cast<bool>(r);
                closed = closed || (!r && r.error().code == ErrorCode::Closed);
            };
            if (t == 0) {
                auto p = pub.publish(kRoom, tagged({t, n}));
                note(p);
                if (p) {
                    std::lock_guard lock(kept_mutex);
                    kept.push_back(std::move(*p));
                }
            } else if (t == 1) {
                note(pub.publish(
                    kRoom, tagged({t, n}), {.qos = Qos::AtMostOnce},
                    [&](const Result<Ack>&) { late_callbacks += close_returned.load() ? 1 : 0; }));
            } else if (n % 2 == 0) {
                RoomHandlers h;
                h.on_message = [&](const Message&) {
                    late_callbacks += close_returned.load() ? 1 : 0;
                };
                note(pub.join(kRoom, h));
            } else {
                note(pub.leave(kRoom));
            }
            if (after && accepted) ++open_after_close;
            if (closed) return;
            if (n % 16 == 0) proxy.cut();
            std::this_thread::sleep_for(1ms);
        }
    };
    std::vector<std::thread> threads;
    for (long t = 0; t < 3; ++t) threads.emplace_back(call_until_closed, t);
    // Let the callers get going (and the connection flap) before closing under them.
    const auto deadline = std::chrono::steady_clock::now() + scaled(10s);
    while (calls.load() < 150 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    pub.close();
    close_returned = true;
    for (auto& t : threads) t.join();

    EXPECT_EQ(pub.state(), ConnectionState::Closed);
    EXPECT_EQ(open_after_close.load(), 0);
    EXPECT_EQ(late_callbacks.load(), 0) << "callbacks ran after close() returned";
    std::lock_guard lock(kept_mutex);
    for (const Publication& p : kept) {
        ASSERT_TRUE(p.ready()) << "a publication was left pending by close()";
        auto r = p.wait();
        EXPECT_TRUE(r || r.error().code == ErrorCode::Closed) << r.error().message;
    }
}

}  // namespace
}  // namespace confab::testing
