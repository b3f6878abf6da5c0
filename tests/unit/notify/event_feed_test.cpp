#include "notify/event_feed.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace confab::notify {
namespace {

const rooms::MemberInfo kAlice{"alice", "s-1", "ws"};

std::vector<std::string> types(const std::vector<WebhookEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.emplace_back(event_type_name(e.type));
    return out;
}

struct WebhookEventFeed : ::testing::Test {
    WebhookStats stats;
    EventFeed feed{100, stats};
    int wakes = 0;
    void SetUp() override {
        feed.set_wake([this] { ++wakes; });
    }
};

TEST_F(WebhookEventFeed, LastLeaveIsFollowedByVacatedInOneOrder) {
    feed.room_filled_here("lobby");
    feed.member_left("lobby", kAlice, rooms::LeaveReason::Timeout, LocalRoom::NowEmpty);
    auto events = feed.take_or_sleep(10);
    EXPECT_EQ(types(events),
              (std::vector<std::string>{"room.occupied", "member.left", "room.vacated"}));
    EXPECT_EQ(events[0].seq, 1u);
    EXPECT_EQ(events[2].seq, 3u);
    EXPECT_EQ(events[1].member.nick, "alice");
    EXPECT_EQ(events[1].reason, rooms::LeaveReason::Timeout);
}

TEST_F(WebhookEventFeed, LeaveWithMembersLeftHereIsOnlyMemberLeft) {
    feed.room_filled_here("lobby");
    feed.member_left("lobby", kAlice, rooms::LeaveReason::Left, LocalRoom::StillOccupied);
    EXPECT_EQ(types(feed.take_or_sleep(10)),
              (std::vector<std::string>{"room.occupied", "member.left"}));
}

TEST_F(WebhookEventFeed, RoomOnTwoLoopsIsOccupiedOnceAndVacatedByTheLastLoop) {
    feed.room_filled_here("lobby");                                                      // loop 0
    feed.room_filled_here("lobby");                                                      // loop 1
    feed.member_left("lobby", kAlice, rooms::LeaveReason::Closed, LocalRoom::NowEmpty);  // loop 0
    EXPECT_EQ(types(feed.take_or_sleep(10)),
              (std::vector<std::string>{"room.occupied", "member.left"}));
    feed.member_left("lobby", kAlice, rooms::LeaveReason::Closed, LocalRoom::NowEmpty);  // loop 1
    EXPECT_EQ(types(feed.take_or_sleep(10)),
              (std::vector<std::string>{"member.left", "room.vacated"}));
}

TEST_F(WebhookEventFeed, WakesTheSenderOncePerQuietSpell) {
    feed.room_filled_here("a");
    feed.room_filled_here("b");
    EXPECT_EQ(wakes, 1);  // the sender is busy from the first event on
    EXPECT_EQ(feed.take_or_sleep(10).size(), 2u);
    feed.room_filled_here("c");
    EXPECT_EQ(wakes, 1);  // not asleep yet: it has not found the queue empty
    feed.take_or_sleep(10);
    EXPECT_TRUE(feed.take_or_sleep(10).empty());  // now it sleeps
    feed.room_filled_here("d");
    EXPECT_EQ(wakes, 2);
}

TEST_F(WebhookEventFeed, FullQueueDropsOldestAndCountsIt) {
    WebhookStats s;
    EventFeed small(2, s);
    small.set_wake([] {});
    small.room_filled_here("a");
    small.room_filled_here("b");
    small.room_filled_here("c");
    EXPECT_EQ(s.dropped.load(), 1u);
    EXPECT_EQ(s.queued.load(), 2u);
    auto events = small.take_or_sleep(10);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].room, "b");
    EXPECT_EQ(events[1].seq, 3u);  // seq counts dropped events too: a gap shows the loss
    EXPECT_EQ(s.queued.load(), 0u);
}

TEST_F(WebhookEventFeed, OccupancyIsCountedEvenWhenEventsAreDropped) {
    WebhookStats s;
    EventFeed small(1, s);
    small.set_wake([] {});
    small.room_filled_here("a");
    for (int i = 0; i < 5; ++i) small.room_filled_here("other-" + std::to_string(i));
    small.take_or_sleep(10);
    small.member_left("a", kAlice, rooms::LeaveReason::Closed, LocalRoom::NowEmpty);
    auto events = small.take_or_sleep(10);
    ASSERT_EQ(events.size(), 1u);  // capacity 1: member.left was pushed out by vacated
    EXPECT_EQ(events[0].type, EventType::RoomVacated);
}

}  // namespace
}  // namespace confab::notify
