// Opening handshake (RFC 6455 §4.2): request checks, accept key, extension negotiation.
#include "ws/handshake.hpp"

#include <gtest/gtest.h>

namespace confab::ws {
namespace {

constexpr std::string_view kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";

UpgradeRequest valid_request() {
    UpgradeRequest r;
    r.method = "GET";
    r.http_version = 11;
    r.upgrade = "websocket";
    r.connection = "Upgrade";
    r.key = kRfcKey;
    r.version = "13";
    return r;
}

TEST(Handshake, AcceptKeyMatchesRfcExample) {
    // RFC 6455 §1.3.
    EXPECT_EQ(accept_key(kRfcKey), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptsValidRequest) {
    const UpgradeDecision d = check_upgrade(valid_request(), true);
    EXPECT_EQ(d.status, 101);
    EXPECT_EQ(d.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_TRUE(d.error.empty());
    EXPECT_FALSE(d.deflate);
}

TEST(Handshake, AcceptsHeaderTokensInAnyCaseAndInLists) {
    UpgradeRequest r = valid_request();
    r.upgrade = "WebSocket";
    r.connection = "keep-alive, Upgrade";
    r.http_version = 20;
    EXPECT_EQ(check_upgrade(r, false).status, 101);
}

TEST(Handshake, RejectsNonGetWith405) {
    UpgradeRequest r = valid_request();
    r.method = "POST";
    EXPECT_EQ(check_upgrade(r, false).status, 405);
    r.method = "get";  // methods are case-sensitive (RFC 9110 §9.1)
    EXPECT_EQ(check_upgrade(r, false).status, 405);
}

TEST(Handshake, RejectsHttp10With400) {
    UpgradeRequest r = valid_request();
    r.http_version = 10;
    const UpgradeDecision d = check_upgrade(r, false);
    EXPECT_EQ(d.status, 400);
    EXPECT_FALSE(d.error.empty());
}

TEST(Handshake, RejectsMissingUpgradeToken) {
    UpgradeRequest r = valid_request();
    r.upgrade = "";
    EXPECT_EQ(check_upgrade(r, false).status, 400);
    r.upgrade = "h2c";
    EXPECT_EQ(check_upgrade(r, false).status, 400);
    r.upgrade = "websockets";
    EXPECT_EQ(check_upgrade(r, false).status, 400);
}

TEST(Handshake, RejectsMissingConnectionUpgrade) {
    UpgradeRequest r = valid_request();
    r.connection = "keep-alive";
    EXPECT_EQ(check_upgrade(r, false).status, 400);
    r.connection = "";
    EXPECT_EQ(check_upgrade(r, false).status, 400);
}

TEST(Handshake, RejectsOtherVersionsWith426AndNamesOurs) {
    for (std::string_view v : {"8", "12", "14", "", "13, 8"}) {
        UpgradeRequest r = valid_request();
        r.version = v;
        const UpgradeDecision d = check_upgrade(r, false);
        EXPECT_EQ(d.status, 426) << v;
        EXPECT_NE(d.error.find("13"), std::string::npos) << d.error;
        EXPECT_TRUE(d.accept.empty());
    }
}

TEST(Handshake, RejectsInvalidKeysWith400) {
    for (std::string_view key :
         {"", "dGhlIHNhbXBsZSBub25jZQ",
          "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQ=A",
          "dGhlIHNhbXBsZSBub25j*Q==", "dGhlIHNhbXBsZSBub25jZSE=", "dGhlIHNhbXBsZSBub25jZSEh",
          "dGhlIHNhbXBsZSBub25jZQ==dGhl"}) {
        UpgradeRequest r = valid_request();
        r.key = key;
        EXPECT_EQ(check_upgrade(r, false).status, 400) << key;
    }
}

TEST(Handshake, ValidKeyIsExactly16BytesOfBase64) {
    EXPECT_TRUE(is_valid_client_key(kRfcKey));
    EXPECT_TRUE(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_TRUE(is_valid_client_key("+/+/+/+/+/+/+/+/+/+/+w=="));
    EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZSE="));  // 17 bytes
    EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));      // 15 bytes
    EXPECT_FALSE(is_valid_client_key(" dGhlIHNhbXBsZSBub25jZQ="));
}

TEST(Handshake, NegotiatesDeflateWhenAllowed) {
    UpgradeRequest r = valid_request();
    r.extensions = "permessage-deflate; client_max_window_bits";
    const UpgradeDecision d = check_upgrade(r, true);
    EXPECT_EQ(d.status, 101);
    ASSERT_TRUE(d.deflate);
    EXPECT_EQ(d.deflate->response_header, "permessage-deflate; server_no_context_takeover");
}

TEST(Handshake, IgnoresDeflateWhenNotAllowed) {
    UpgradeRequest r = valid_request();
    r.extensions = "permessage-deflate";
    const UpgradeDecision d = check_upgrade(r, false);
    EXPECT_EQ(d.status, 101);
    EXPECT_FALSE(d.deflate);
}

TEST(Handshake, ProceedsWithoutDeflateWhenNoOfferIsAcceptable) {
    UpgradeRequest r = valid_request();
    r.extensions = "permessage-deflate; server_max_window_bits=99";
    const UpgradeDecision d = check_upgrade(r, true);
    EXPECT_EQ(d.status, 101);
    EXPECT_FALSE(d.deflate);
}

TEST(HeaderHasToken, MatchesWholeTokensCaseInsensitively) {
    EXPECT_TRUE(header_has_token("Upgrade", "upgrade"));
    EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(header_has_token("keep-alive ,\tUPGRADE\t", "upgrade"));
    EXPECT_TRUE(header_has_token("a,,upgrade", "upgrade"));
    EXPECT_FALSE(header_has_token("upgrade-insecure", "upgrade"));
    EXPECT_FALSE(header_has_token("keep-alive", "upgrade"));
    EXPECT_FALSE(header_has_token("", "upgrade"));
}

}  // namespace
}  // namespace confab::ws
