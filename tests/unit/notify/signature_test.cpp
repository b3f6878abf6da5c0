#include "notify/signature.hpp"

#include <gtest/gtest.h>

namespace confab::notify {
namespace {

TEST(WebhookSignature, MatchesRfc4231TestCase2) {
    // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, MatchesRfc4231TestCase1) {
    std::string key(20, '\x0b');
    EXPECT_EQ(hmac_sha256_hex(key, "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(WebhookSignature, HeaderValueIsPrefixedWithTheAlgorithm) {
    EXPECT_EQ(signature_value("Jefe", "what do ya want for nothing?"),
              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, DependsOnEveryByteOfTheBody) {
    EXPECT_NE(hmac_sha256_hex("k", R"({"events":[]})"), hmac_sha256_hex("k", R"({"events":[] })"));
    EXPECT_NE(hmac_sha256_hex("k", "body"), hmac_sha256_hex("K", "body"));
}

TEST(WebhookSignature, EmptyKeyAndBodyStillSign) {
    // RFC 2104 with an empty key: a well-known value, and no crash on empty input.
    EXPECT_EQ(hmac_sha256_hex("", ""),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace confab::notify
