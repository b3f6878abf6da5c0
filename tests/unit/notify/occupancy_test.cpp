#include "notify/occupancy.hpp"

#include <gtest/gtest.h>

namespace confab::notify {
namespace {

using Change = Occupancy::Change;

TEST(Occupancy, FirstLoopToFillARoomOccupiesIt) {
    Occupancy o;
    EXPECT_EQ(o.filled_on_a_loop("lobby"), Change::Occupied);
    EXPECT_EQ(o.loops_with_members("lobby"), 1u);
}

TEST(Occupancy, RoomOnTwoLoopsIsVacatedOnlyWhenBothEmpty) {
    Occupancy o;
    EXPECT_EQ(o.filled_on_a_loop("lobby"), Change::Occupied);
    EXPECT_EQ(o.filled_on_a_loop("lobby"), Change::None);  // second loop
    EXPECT_EQ(o.emptied_on_a_loop("lobby"), Change::None);
    EXPECT_EQ(o.loops_with_members("lobby"), 1u);
    EXPECT_EQ(o.emptied_on_a_loop("lobby"), Change::Vacated);
    EXPECT_EQ(o.loops_with_members("lobby"), 0u);
}

TEST(Occupancy, OneLoopEmptyingWhileAnotherFillsNeverVacates) {
    // Loop A's last member leaves as loop B's first arrives: counted in either order, the room
    // is never reported empty unless the count really reached zero.
    Occupancy o;
    o.filled_on_a_loop("r");                               // A
    EXPECT_EQ(o.filled_on_a_loop("r"), Change::None);      // B arrives first
    EXPECT_EQ(o.emptied_on_a_loop("r"), Change::None);     // then A leaves
    EXPECT_EQ(o.emptied_on_a_loop("r"), Change::Vacated);  // then B
}

TEST(Occupancy, RoomCanBeOccupiedAgainAfterItWasVacated) {
    Occupancy o;
    o.filled_on_a_loop("r");
    EXPECT_EQ(o.emptied_on_a_loop("r"), Change::Vacated);
    EXPECT_EQ(o.filled_on_a_loop("r"), Change::Occupied);
}

TEST(Occupancy, RoomsAreCountedSeparately) {
    Occupancy o;
    o.filled_on_a_loop("a");
    EXPECT_EQ(o.filled_on_a_loop("b"), Change::Occupied);
    EXPECT_EQ(o.emptied_on_a_loop("a"), Change::Vacated);
    EXPECT_EQ(o.loops_with_members("b"), 1u);
}

TEST(Occupancy, EmptyingAnUnknownRoomChangesNothing) {
    Occupancy o;
    EXPECT_EQ(o.emptied_on_a_loop("never"), Change::None);
    EXPECT_EQ(o.occupied_rooms(), 0u);
}

TEST(Occupancy, ForgetsVacatedRooms) {
    Occupancy o;
    for (int i = 0; i < 100; ++i) {
        std::string room = "room-" + std::to_string(i);
        o.filled_on_a_loop(room);
        o.emptied_on_a_loop(room);
    }
    EXPECT_EQ(o.occupied_rooms(), 0u);  // memory follows the rooms occupied now
}

}  // namespace
}  // namespace confab::notify
