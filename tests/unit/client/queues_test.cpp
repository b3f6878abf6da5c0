// The QoS 1 outbox and the QoS 0 drop queue.
#include <gtest/gtest.h>

#include "client/admission.hpp"
#include "client/drop_queue.hpp"
#include "client/outbox.hpp"

namespace confab::client {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

OutboxEntry entry(std::string room, std::string id) {
    return OutboxEntry{std::move(room), id, "frame-" + id, {}};
}

std::vector<std::string> send_all(Outbox& o, Clock::time_point now,
                                  std::function<bool(const std::string&)> ready = {}) {
    std::vector<std::string> sent;
    o.send_unsent(
        now, [&](const std::string& room) { return !ready || ready(room); },
        [&](const OutboxEntry& e) {
            sent.push_back(e.id);
            return true;
        });
    return sent;
}

TEST(Outbox, SendsEachEntryOncePerConnectionInPublishOrder) {
    Outbox o;
    for (const char* id : {"a", "b", "c"}) o.push(entry("r", id));
    const auto now = Clock::now();
    EXPECT_EQ(send_all(o, now), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(send_all(o, now).empty());
    o.mark_all_unsent();  // reconnected: everything unacked goes again, same order, same ids
    EXPECT_EQ(send_all(o, now), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Outbox, AckRemovesOnlyTheMatchingRoomAndId) {
    Outbox o;
    o.push(entry("r1", "x"));
    o.push(entry("r2", "x"));
    EXPECT_FALSE(o.take("r3", "x"));
    auto e = o.take("r2", "x");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->room, "r2");
    EXPECT_EQ(o.size(), 1u);
    EXPECT_TRUE(o.has_room("r1"));
    EXPECT_FALSE(o.has_room("r2"));
}

TEST(Outbox, WaitsForTheRoomAndForARetryTime) {
    Outbox o;
    o.push(entry("joined", "1"));
    o.push(entry("joining", "2"));
    const auto now = Clock::now();
    EXPECT_EQ(send_all(o, now, [](const std::string& r) { return r == "joined"; }),
              (std::vector<std::string>{"1"}));
    o.retry_later("joined", "1", now + 500ms);
    EXPECT_EQ(o.next_retry(now), now + 500ms);
    EXPECT_TRUE(send_all(o, now, [](const std::string& r) { return r == "joined"; }).empty());
    EXPECT_EQ(send_all(o, now + 500ms), (std::vector<std::string>{"1", "2"}));
    EXPECT_FALSE(o.next_retry(now)) << "a retried entry that was sent waits for no time";
}

TEST(Outbox, NextRetryForgetsEntriesThatWereAckedOrTaken) {
    Outbox o;
    o.push(entry("r", "1"));
    o.push(entry("r", "2"));
    o.push(entry("gone", "3"));
    const auto now = Clock::now();
    send_all(o, now);
    o.retry_later("r", "1", now + 100ms);
    o.retry_later("r", "2", now + 200ms);
    o.retry_later("gone", "3", now + 50ms);
    EXPECT_EQ(o.next_retry(now), now + 50ms);
    o.take_room("gone");
    EXPECT_EQ(o.next_retry(now), now + 100ms);
    o.take("r", "1");
    EXPECT_EQ(o.next_retry(now), now + 200ms);
    o.take("r", "2");
    EXPECT_FALSE(o.next_retry(now));
}

TEST(DropQueue, ExpiresAtTheDeadlineAndKeepsTheRest) {
    DropQueue q;
    const auto t0 = Clock::now();
    q.push({"r", "a", "fa", {}, t0 + 50ms});
    q.push({"r", "b", "fb", {}, t0 + 80ms});
    EXPECT_EQ(q.next_deadline(), t0 + 50ms);
    EXPECT_TRUE(q.expire(t0 + 49ms).empty());
    auto gone = q.expire(t0 + 50ms);
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0].id, "a");
    EXPECT_EQ(q.size(), 1u);
}

TEST(DropQueue, SendsOnlyForReadyRoomsInOrder) {
    DropQueue q;
    const auto t = Clock::now() + 1s;
    q.push({"a", "1", "", {}, t});
    q.push({"b", "2", "", {}, t});
    q.push({"a", "3", "", {}, t});
    std::vector<std::string> sent;
    q.send_ready([](const std::string& r) { return r == "a"; },
                 [&](DropEntry&& e) {
                     sent.push_back(e.id);
                     return true;
                 });
    EXPECT_EQ(sent, (std::vector<std::string>{"1", "3"}));
    EXPECT_TRUE(q.has_room("b"));
    EXPECT_FALSE(q.has_room("a"));
}

TEST(Admission, RefusesBeyondTheLimitUntilReleased) {
    Admission slots(2);
    EXPECT_TRUE(slots.try_acquire());
    EXPECT_TRUE(slots.try_acquire());
    EXPECT_FALSE(slots.try_acquire());
    slots.release();
    EXPECT_TRUE(slots.try_acquire());
    EXPECT_EQ(slots.used(), 2u);
}

}  // namespace
}  // namespace confab::client
