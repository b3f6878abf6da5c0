#include "notify/webhook_queue.hpp"

#include <gtest/gtest.h>

namespace confab::notify {
namespace {

WebhookEvent event(std::uint64_t seq) {
    return {.seq = seq, .type = EventType::RoomOccupied, .room = "r" + std::to_string(seq)};
}

std::vector<std::uint64_t> seqs(const std::vector<WebhookEvent>& events) {
    std::vector<std::uint64_t> out;
    for (const auto& e : events) out.push_back(e.seq);
    return out;
}

TEST(WebhookQueue, TakesOldestFirstUpToTheBatchSize) {
    WebhookQueue q(10);
    for (std::uint64_t s = 1; s <= 5; ++s) EXPECT_FALSE(q.push(event(s)));
    EXPECT_EQ(seqs(q.take_front(3)), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(seqs(q.take_front(3)), (std::vector<std::uint64_t>{4, 5}));
    EXPECT_TRUE(q.take_front(3).empty());
}

TEST(WebhookQueue, FullQueueDropsTheOldestAndCountsIt) {
    WebhookQueue q(3);
    for (std::uint64_t s = 1; s <= 3; ++s) q.push(event(s));
    EXPECT_TRUE(q.push(event(4)));
    EXPECT_TRUE(q.push(event(5)));
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.dropped(), 2u);
    EXPECT_EQ(seqs(q.take_front(10)), (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST(WebhookQueue, TakenEventsNoLongerCountAgainstTheBound) {
    WebhookQueue q(2);
    q.push(event(1));
    q.push(event(2));
    q.take_front(1);  // the batch in flight
    EXPECT_FALSE(q.push(event(3)));
    EXPECT_EQ(q.dropped(), 0u);
}

TEST(WebhookQueue, CapacityIsAtLeastOne) {
    WebhookQueue q(0);
    q.push(event(1));
    EXPECT_TRUE(q.push(event(2)));
    EXPECT_EQ(seqs(q.take_front(5)), (std::vector<std::uint64_t>{2}));
}

}  // namespace
}  // namespace confab::notify
