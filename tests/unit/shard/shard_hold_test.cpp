// Shard::publish_soon: presence waits for the hold (or for the next message to its room), so
// a burst reaches each member together; order per room is never changed.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "shard/shard.hpp"

namespace confab::shard {
namespace {

using namespace std::chrono_literals;

struct RecordingMember : rooms::Member {
    std::vector<std::uint64_t> got;  // senders, in delivery order
    void deliver(const rooms::RoomMessagePtr& m) override { got.push_back(m->sender); }
    rooms::MemberInfo info() const override { return {"rec", "", "ws"}; }
};

rooms::RoomMessagePtr message(std::string room, std::uint64_t sender) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(room);
    m->sender = sender;
    return m;
}

class ShardHold : public ::testing::Test {
protected:
    explicit ShardHold(std::chrono::milliseconds hold = 20ms) : shard_(0, hold) {
        shard_.connect({&shard_});
        shard_.rooms().join("r", &member_);
        shard_.rooms().join("other", &other_);
    }
    // Runs the loop's handlers (the hold timer) for a while.
    void run_for(std::chrono::milliseconds d) {
        shard_.loop().io().restart();
        shard_.loop().io().run_for(d);
    }

    Shard shard_;
    RecordingMember member_;
    RecordingMember other_;
};

TEST_F(ShardHold, HeldMessagesGoOutTogetherWhenTheHoldEnds) {
    shard_.publish_soon(message("r", 1));
    shard_.publish_soon(message("r", 2));
    shard_.publish_soon(message("other", 3));
    EXPECT_TRUE(member_.got.empty());
    EXPECT_TRUE(other_.got.empty());
    run_for(200ms);
    EXPECT_EQ(member_.got, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(other_.got, (std::vector<std::uint64_t>{3}));
}

TEST_F(ShardHold, APublishToTheRoomReleasesWhatIsHeldForItFirst) {
    shard_.publish_soon(message("r", 1));
    shard_.publish_soon(message("other", 2));
    shard_.publish(message("r", 3));
    EXPECT_EQ(member_.got, (std::vector<std::uint64_t>{1, 3}));
    EXPECT_TRUE(other_.got.empty());  // another room's presence still waits
    run_for(200ms);
    EXPECT_EQ(other_.got, (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(member_.got, (std::vector<std::uint64_t>{1, 3}));  // nothing twice
}

TEST_F(ShardHold, MessagesFromOtherShardsAlsoReleaseTheRoomFirst) {
    shard_.publish_soon(message("r", 1));
    shard_.deliver_batch({message("r", 2)});
    EXPECT_EQ(member_.got, (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(ShardHold, PastTheCapacityEverythingHeldIsReleasedAtOnce) {
    for (std::uint64_t i = 0; i < Shard::kMaxHeld; ++i) shard_.publish_soon(message("r", i));
    EXPECT_TRUE(member_.got.empty());
    shard_.publish_soon(message("r", Shard::kMaxHeld));
    EXPECT_EQ(member_.got.size(), Shard::kMaxHeld);
    run_for(200ms);
    ASSERT_EQ(member_.got.size(), Shard::kMaxHeld + 1);
    for (std::uint64_t i = 0; i <= Shard::kMaxHeld; ++i) EXPECT_EQ(member_.got[i], i);
}

TEST_F(ShardHold, HeldMessagesSkipARoomThatGrewPastTheirLimitMeanwhile) {
    shard_.publish_soon(message("r", 1), 1);      // r has 1 member now
    shard_.publish_soon(message("other", 2), 1);  // other stays at 1
    RecordingMember late;
    shard_.rooms().join("r", &late);  // r: 2 members, past the limit
    run_for(200ms);
    EXPECT_TRUE(member_.got.empty());
    EXPECT_TRUE(late.got.empty());
    EXPECT_EQ(other_.got, (std::vector<std::uint64_t>{2}));
}

class ShardNoHold : public ShardHold {
protected:
    ShardNoHold() : ShardHold(0ms) {}
};

TEST_F(ShardNoHold, AZeroHoldPublishesAtOnce) {
    shard_.publish_soon(message("r", 1));
    EXPECT_EQ(member_.got, (std::vector<std::uint64_t>{1}));
}

}  // namespace
}  // namespace confab::shard
