// The public member id: a fixed, one-way function of the session id (docs/protocol.md,
// "Session ids are secret"). The expected values were computed outside confab, e.g.
// `printf 'confab.v1 member\ns-abc' | sha256sum`, so a change of the derivation (or a
// return of the session id itself) fails here.
#include "proto/public_member_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace confab::proto {
namespace {

TEST(PublicMemberId, MatchesIndependentlyComputedVectors) {
    // sha256("confab.v1 member\ns-abc") = 5e8116d8897d26a66ce9...
    EXPECT_EQ(public_member_id("s-abc"), "m-5e8116d8897d26a6");
    // The protocol document's examples (alice's session, and the one in the sequence diagram).
    EXPECT_EQ(public_member_id("s-5f1c0a9e3b7d2c41a8e6f09d3c27b514"), "m-e3fc5f7c9a6925b3");
    EXPECT_EQ(public_member_id("s-5f1c"), "m-0a1dfc9385256507");
    EXPECT_EQ(public_member_id("s-5f1c0a9e3b7d2c41"), "m-017f2559f32d5e20");
    // sha256("confab.v1 member\n") = 0405f44181e29e50...
    EXPECT_EQ(public_member_id(""), "m-0405f44181e29e50");
}

TEST(PublicMemberId, IsDomainSeparatedFromAPlainHashOfTheSession) {
    // sha256("s-abc") starts ea6291619b8a16fd: the prefix "confab.v1 member\n" is hashed too.
    EXPECT_NE(public_member_id("s-abc"), "m-ea6291619b8a16fd");
    EXPECT_NE(public_member_id("s-abc"), "s-abc");
}

TEST(PublicMemberId, IsMThenSixteenLowercaseHexDigits) {
    const std::regex shape("m-[0-9a-f]{16}");
    for (const char* session :
         {"s-1", "a", "telnet-7", "m-5e8116d8897d26a6",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"}) {
        const std::string id = public_member_id(session);
        EXPECT_TRUE(std::regex_match(id, shape)) << session << " -> " << id;
        EXPECT_EQ(id.size(), kPublicMemberIdSize);
    }
}

TEST(PublicMemberId, IsStableForOneSessionAndDiffersBetweenSessions) {
    EXPECT_EQ(public_member_id("s-0c9d"), public_member_id("s-0c9d"));
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(public_member_id("s-" + std::to_string(i)));
    EXPECT_EQ(ids.size(), 1000u);
}

TEST(PublicMemberId, OfAPublicIdIsAnotherId) {
    // A client that says hello with someone's public id as its session gets a different
    // public id: it cannot pass for that member.
    const std::string alice = public_member_id("s-abc");
    EXPECT_NE(public_member_id(alice), alice);
}

}  // namespace
}  // namespace confab::proto
