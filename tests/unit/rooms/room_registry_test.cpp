#include "rooms/room_registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace confab::rooms {
namespace {

struct RecordingMember : Member {
    std::vector<RoomMessagePtr> got;
    void deliver(const RoomMessagePtr& m) override { got.push_back(m); }
    MemberInfo info() const override { return {"rec", "", "ws"}; }
};

RoomMessagePtr message(std::string room) {
    auto m = std::make_shared<RoomMessage>();
    m->room = std::move(room);
    m->ws_frame = SharedFrame::copy_of("\x81\x02hi");
    m->ws_header_size = 2;
    return m;
}

TEST(RoomRegistry, FanOutReachesEveryMemberOfTheRoomOnly) {
    RoomRegistry reg;
    RecordingMember a, b, other;
    reg.join("lobby", &a);
    reg.join("lobby", &b);
    reg.join("games", &other);
    EXPECT_EQ(reg.fan_out(message("lobby")), 2u);
    EXPECT_EQ(a.got.size(), 1u);
    EXPECT_EQ(b.got.size(), 1u);
    EXPECT_TRUE(other.got.empty());
}

TEST(RoomRegistry, EveryReceiverSharesTheSameEncodedFrame) {
    RoomRegistry reg;
    RecordingMember a, b;
    reg.join("r", &a);
    reg.join("r", &b);
    reg.fan_out(message("r"));
    ASSERT_EQ(a.got.size(), 1u);
    EXPECT_EQ(a.got[0]->ws_frame.get(), b.got[0]->ws_frame.get());
    EXPECT_EQ(a.got[0]->payload(), "hi");
}

TEST(RoomRegistry, RoomIsCreatedOnFirstJoinAndDroppedWhenEmpty) {
    RoomRegistry reg;
    RecordingMember a, b;
    EXPECT_EQ(reg.room_count(), 0u);
    reg.join("r", &a);
    reg.join("r", &b);
    EXPECT_EQ(reg.room_count(), 1u);
    reg.leave("r", &a);
    EXPECT_EQ(reg.member_count("r"), 1u);
    reg.leave("r", &b);
    EXPECT_EQ(reg.room_count(), 0u);
    EXPECT_EQ(reg.fan_out(message("r")), 0u);
}

TEST(RoomRegistry, DoubleJoinDoesNotDoubleDeliver) {
    RoomRegistry reg;
    RecordingMember a;
    reg.join("r", &a);
    reg.join("r", &a);
    reg.fan_out(message("r"));
    EXPECT_EQ(a.got.size(), 1u);
}

TEST(RoomRegistry, LeavingUnknownRoomOrMemberIsHarmless) {
    RoomRegistry reg;
    RecordingMember a, b;
    reg.leave("nowhere", &a);
    reg.join("r", &a);
    reg.leave("r", &b);
    EXPECT_EQ(reg.member_count("r"), 1u);
}

TEST(RoomRegistry, ListsRoomsWithCounts) {
    RoomRegistry reg;
    RecordingMember a, b, c;
    reg.join("x", &a);
    reg.join("x", &b);
    reg.join("y", &c);
    auto rooms = reg.rooms();
    ASSERT_EQ(rooms.size(), 2u);
    std::size_t total = 0;
    for (auto& [name, n] : rooms) total += n;
    EXPECT_EQ(total, 3u);
}

}  // namespace
}  // namespace confab::rooms
