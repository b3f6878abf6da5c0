#include "http/percent_decode.hpp"

#include <gtest/gtest.h>

namespace confab::http {
namespace {

TEST(PercentDecode, AnEscapedSlashBecomesASlash) {
    EXPECT_EQ(percent_decode("presence%2Flobby"), "presence/lobby");
    EXPECT_EQ(percent_decode("presence%2flobby"), "presence/lobby");
}

TEST(PercentDecode, TextWithoutEscapesIsUnchanged) {
    EXPECT_EQ(percent_decode("resources/books/42"), "resources/books/42");
    EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, PlusIsNotASpaceInAPath) {
    EXPECT_EQ(percent_decode("a+b%20c"), "a+b c");
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
    EXPECT_EQ(percent_decode("room%"), std::nullopt);
    EXPECT_EQ(percent_decode("room%2"), std::nullopt);
    EXPECT_EQ(percent_decode("room%zz"), std::nullopt);
    EXPECT_EQ(percent_decode("%G0room"), std::nullopt);
}

}  // namespace
}  // namespace confab::http
