// close_code::is_valid_on_wire: which codes a received Close frame may carry (RFC 6455 §7.4).
#include "ws/close_code.hpp"

#include <gtest/gtest.h>

namespace confab::ws::close_code {
namespace {

TEST(CloseCode, AcceptsDefinedCodesThatMayBeSent) {
    for (std::uint16_t code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}) {
        EXPECT_TRUE(is_valid_on_wire(code)) << code;
    }
}

TEST(CloseCode, RejectsCodesThatMustNeverBeOnTheWire) {
    // §7.4.1: 1005, 1006 and 1015 are reserved for local reporting; 1004 is reserved.
    for (std::uint16_t code : {1004, 1005, 1006, 1015}) {
        EXPECT_FALSE(is_valid_on_wire(code)) << code;
    }
}

TEST(CloseCode, RejectsUnassignedRanges) {
    for (std::uint16_t code : {0, 1, 999, 1016, 1100, 2000, 2999, 5000, 9999, 65535}) {
        EXPECT_FALSE(is_valid_on_wire(code)) << code;
    }
}

TEST(CloseCode, AcceptsLibraryAndPrivateRanges) {
    for (std::uint16_t code : {3000, 3500, 3999, 4000, 4321, 4999}) {
        EXPECT_TRUE(is_valid_on_wire(code)) << code;
    }
}

TEST(CloseCode, NamedConstantsHaveTheirRfcValues) {
    EXPECT_EQ(kNormal, 1000);
    EXPECT_EQ(kProtocolError, 1002);
    EXPECT_EQ(kNoStatus, 1005);
    EXPECT_EQ(kInvalidPayload, 1007);
    EXPECT_EQ(kMessageTooBig, 1009);
    EXPECT_EQ(kTryAgainLater, 1013);
}

}  // namespace
}  // namespace confab::ws::close_code
