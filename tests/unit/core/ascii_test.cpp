// ASCII helpers for protocol tokens: only A-Z fold, only spaces and tabs are trimmed.
#include "core/ascii.hpp"

#include <gtest/gtest.h>

namespace confab {
namespace {

TEST(IequalsAscii, FoldsOnlyLetters) {
    EXPECT_TRUE(iequals_ascii("Sec-WebSocket-Accept", "sec-websocket-accept"));
    EXPECT_FALSE(iequals_ascii("@", "`"));  // 0x40 and 0x60 differ by the case bit, not letters
    EXPECT_FALSE(iequals_ascii("[", "{"));
    EXPECT_FALSE(iequals_ascii("\xC3\x89", "\xC3\xA9"));  // É and é: not ASCII, not folded
}

TEST(IequalsAscii, DifferentLengthsNeverMatch) {
    EXPECT_FALSE(iequals_ascii("upgrade", "upgrades"));
    EXPECT_FALSE(iequals_ascii("", "x"));
    EXPECT_TRUE(iequals_ascii("", ""));
}

TEST(TrimBlanks, RemovesSpacesAndTabsAtBothEndsOnly) {
    EXPECT_EQ(trim_blanks(" \t websocket \t"), "websocket");
    EXPECT_EQ(trim_blanks("a b"), "a b");
    EXPECT_EQ(trim_blanks("\r\nx\r\n"), "\r\nx\r\n");  // line ends are not blanks
    EXPECT_EQ(trim_blanks(" \t "), "");
}

}  // namespace
}  // namespace confab
