#include "shard/held_messages.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace confab::shard {
namespace {

Held message(std::string room, std::uint64_t sender) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(room);
    m->sender = sender;
    return {m, SIZE_MAX};
}

std::vector<std::uint64_t> senders(const std::vector<Held>& held) {
    std::vector<std::uint64_t> out;
    for (const auto& h : held) out.push_back(h.message->sender);
    return out;
}

TEST(HeldMessages, TakeReturnsOneRoomInArrivalOrderAndKeepsTheOthers) {
    HeldMessages held(10);
    held.hold(message("a", 1));
    held.hold(message("b", 2));
    held.hold(message("a", 3));
    EXPECT_TRUE(held.holds_room("a"));
    EXPECT_EQ(senders(held.take("a")), (std::vector<std::uint64_t>{1, 3}));
    EXPECT_FALSE(held.holds_room("a"));
    EXPECT_EQ(held.size(), 1u);
    EXPECT_TRUE(held.take("a").empty());
    EXPECT_EQ(senders(held.take_all()), (std::vector<std::uint64_t>{2}));
    EXPECT_TRUE(held.empty());
}

TEST(HeldMessages, TakeAllGoesRoomByRoomInTheOrderRoomsWereFirstHeld) {
    HeldMessages held(10);
    held.hold(message("b", 1));
    held.hold(message("a", 2));
    held.hold(message("b", 3));
    held.hold(message("c", 4));
    EXPECT_EQ(senders(held.take_all()), (std::vector<std::uint64_t>{1, 3, 2, 4}));
    EXPECT_TRUE(held.empty());
    EXPECT_FALSE(held.holds_room("b"));
}

TEST(HeldMessages, ARoomTakenAndHeldAgainIsReleasedOnce) {
    HeldMessages held(10);
    for (std::uint64_t i = 0; i < 5; ++i) {
        held.hold(message("a", i));
        held.take("a");
    }
    held.hold(message("a", 9));
    EXPECT_EQ(senders(held.take_all()), (std::vector<std::uint64_t>{9}));
}

TEST(HeldMessages, RefusesPastCapacityUntilTaken) {
    HeldMessages held(2);
    EXPECT_TRUE(held.hold(message("a", 1)));
    EXPECT_TRUE(held.hold(message("b", 2)));
    EXPECT_FALSE(held.hold(message("c", 3)));
    EXPECT_EQ(held.size(), 2u);
    held.take("a");
    EXPECT_TRUE(held.hold(message("c", 3)));
}

}  // namespace
}  // namespace confab::shard
