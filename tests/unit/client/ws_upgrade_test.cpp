#include "client/ws_upgrade.hpp"

#include <gtest/gtest.h>

namespace confab::client {
namespace {

// RFC 6455 §1.3: the sample nonce "the sample nonce" and its accept value.
constexpr std::array<std::uint8_t, 16> kSampleNonce = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p',
                                                       'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};

std::string response(std::string_view extra) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
           std::string(extra);
}

TEST(WsUpgrade, RequestOffersConfabV1WithTheRfcKey) {
    UpgradeRequest r = make_upgrade_request("127.0.0.1:8080", "/ws", kSampleNonce);
    EXPECT_EQ(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(r.text.rfind("GET /ws HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(r.text.find("\r\nHost: 127.0.0.1:8080\r\n"), std::string::npos);
    EXPECT_NE(r.text.find("\r\nSec-WebSocket-Protocol: confab.v1\r\n"), std::string::npos);
    EXPECT_NE(r.text.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
    EXPECT_TRUE(r.text.ends_with("\r\n\r\n"));
}

TEST(WsUpgrade, AcceptsTheRightAnswer) {
    EXPECT_TRUE(check_upgrade_response(response("Sec-WebSocket-Protocol: confab.v1"),
                                       "dGhlIHNhbXBsZSBub25jZQ=="));
}

TEST(WsUpgrade, RefusesAnHttpErrorNamingTheStatus) {
    auto r = check_upgrade_response("HTTP/1.1 404 Not Found\r\nContent-Length: 0",
                                    "dGhlIHNhbXBsZSBub25jZQ==");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::HandshakeFailed);
    EXPECT_NE(r.error().message.find("404 Not Found"), std::string::npos);
}

TEST(WsUpgrade, RefusesAWrongAcceptOrAMissingSubprotocol) {
    EXPECT_FALSE(check_upgrade_response(response("Sec-WebSocket-Protocol: confab.v1"),
                                        "AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_FALSE(check_upgrade_response(response(""), "dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_FALSE(check_upgrade_response(response("Sec-WebSocket-Protocol: chat"),
                                        "dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_FALSE(check_upgrade_response("garbage", "dGhlIHNhbXBsZSBub25jZQ=="));
}

}  // namespace
}  // namespace confab::client
