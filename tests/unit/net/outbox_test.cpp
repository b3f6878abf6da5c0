#include "net/outbox.hpp"

#include <gtest/gtest.h>

#include <string>

namespace confab::net {
namespace {

FrameRef frame(std::string_view bytes) { return SharedFrame::copy_of(bytes); }

std::string gathered(const Outbox& box) {
    iovec iov[64];
    std::size_t n = box.gather(iov, 64);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
    return out;
}

TEST(Outbox, IdleOutboxIsEmptyAndGathersNothing) {
    Outbox box;
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(gathered(box), "");
}

TEST(Outbox, GathersDataFramesInOrder) {
    Outbox box;
    ASSERT_EQ(box.push(frame("ab")), PushResult::Queued);
    ASSERT_EQ(box.push(frame("cd")), PushResult::Queued);
    EXPECT_EQ(gathered(box), "abcd");
    EXPECT_EQ(box.data_messages(), 2u);
    EXPECT_EQ(box.data_bytes(), 4u);
}

TEST(Outbox, RefusesDataPastMessageLimit) {
    Outbox box({.max_messages = 2, .max_bytes = 1000});
    EXPECT_EQ(box.push(frame("a")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("b")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("c")), PushResult::Overflow);
    EXPECT_EQ(gathered(box), "ab");
}

TEST(Outbox, RefusesDataPastByteLimit) {
    Outbox box({.max_messages = 100, .max_bytes = 5});
    EXPECT_EQ(box.push(frame("abc")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("def")), PushResult::Overflow);
    EXPECT_EQ(box.push(frame("de")), PushResult::Queued);
}

TEST(Outbox, EmptyQueueAcceptsOneFrameLargerThanByteLimit) {
    Outbox box({.max_messages = 10, .max_bytes = 4});
    EXPECT_EQ(box.push(frame("larger")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("x")), PushResult::Overflow);
}

TEST(Outbox, DroppableFramesUseOnlyHalfTheQueue) {
    Outbox box({.max_messages = 4, .max_bytes = 1000});
    EXPECT_EQ(box.push(frame("a"), Priority::Droppable), PushResult::Queued);
    EXPECT_EQ(box.push(frame("b"), Priority::Droppable), PushResult::Queued);
    EXPECT_EQ(box.push(frame("c"), Priority::Droppable), PushResult::Overflow);
    EXPECT_EQ(box.push(frame("d")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("e")), PushResult::Queued);
    EXPECT_EQ(box.push(frame("f")), PushResult::Overflow);
}

TEST(Outbox, PushAfterDataIgnoresLimitsAndKeepsOrder) {
    Outbox box({.max_messages = 1, .max_bytes = 100});
    box.push(frame("reply"));
    box.push_after_data(frame("CLOSE"));
    EXPECT_EQ(gathered(box), "replyCLOSE");
}

TEST(Outbox, ControlFramesJumpTheDataBacklog) {
    Outbox box;
    box.push(frame("d1"));
    box.push(frame("d2"));
    box.push_control(frame("C"));
    EXPECT_EQ(gathered(box), "Cd1d2");
}

TEST(Outbox, ControlFrameWaitsForPartlyWrittenDataFrame) {
    Outbox box;
    box.push(frame("data1"));
    box.push(frame("data2"));
    box.consume(2);  // "da" written: the frame must be finished before anything else
    box.push_control(frame("C"));
    EXPECT_EQ(gathered(box), "ta1Cdata2");
    box.consume(4);  // "ta1C"
    EXPECT_EQ(gathered(box), "data2");
}

TEST(Outbox, PartlyWrittenControlFrameFinishesFirst) {
    Outbox box;
    box.push_control(frame("PING"));
    box.consume(1);
    box.push(frame("x"));
    box.push_control(frame("PONG"));
    EXPECT_EQ(gathered(box), "INGPONGx");
}

TEST(Outbox, ConsumeFreesWholeFramesAndCountsBytes) {
    Outbox box;
    box.push(frame("abc"));
    box.push(frame("de"));
    box.consume(4);
    EXPECT_EQ(box.data_messages(), 1u);
    EXPECT_EQ(gathered(box), "e");
    box.consume(1);
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.data_bytes(), 0u);
}

TEST(Outbox, DropUnstartedDataKeepsPartlyWrittenFrame) {
    Outbox box;
    box.push(frame("abc"));
    box.push(frame("def"));
    box.consume(1);
    box.drop_unstarted_data();
    box.push_control(frame("CLOSE"));
    EXPECT_EQ(gathered(box), "bcCLOSE");
}

TEST(Outbox, RingGrowsPastInitialCapacityKeepingOrder) {
    Outbox box;
    std::string expect;
    for (int i = 0; i < 10; ++i) {
        box.push(frame(std::to_string(i)));
        expect += std::to_string(i);
    }
    box.consume(3);  // wraps the head forward
    for (int i = 10; i < 20; ++i) {
        box.push(frame(std::to_string(i)));
        expect += std::to_string(i);
    }
    EXPECT_EQ(gathered(box), expect.substr(3));
}

TEST(Outbox, AnEmptiedOutboxGivesItsMemoryBackAndStillWorks) {
    Outbox box;
    box.push(frame("abc"));
    box.consume(3);
    EXPECT_GT(box.ring_capacity(), 0u);
    box.release_memory_if_empty();
    EXPECT_EQ(box.ring_capacity(), 0u);
    box.push(frame("de"));
    box.push_control(frame("P"));
    EXPECT_EQ(gathered(box), "Pde");
}

TEST(Outbox, MemoryIsKeptWhileAnythingIsQueued) {
    Outbox box;
    box.push(frame("abc"));
    box.push(frame("def"));
    box.consume(4);  // "def" partly written
    box.release_memory_if_empty();
    EXPECT_GT(box.ring_capacity(), 0u);
    EXPECT_EQ(gathered(box), "ef");
}

TEST(Outbox, GatherRespectsIovecLimit) {
    Outbox box;
    for (int i = 0; i < 5; ++i) box.push(frame("x"));
    iovec iov[3];
    EXPECT_EQ(box.gather(iov, 3), 3u);
}

}  // namespace
}  // namespace confab::net
