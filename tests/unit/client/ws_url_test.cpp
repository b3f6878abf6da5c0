#include "client/ws_url.hpp"

#include <gtest/gtest.h>

namespace confab::client {
namespace {

TEST(WsUrl, ParsesHostPortAndPath) {
    auto u = parse_ws_url("ws://127.0.0.1:8080/ws");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "8080");
    EXPECT_EQ(u->path, "/ws");
    EXPECT_EQ(u->host_header, "127.0.0.1:8080");
}

TEST(WsUrl, DefaultsPortTo80AndPathToWs) {
    auto u = parse_ws_url("ws://example.org");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, "80");
    EXPECT_EQ(u->path, "/ws");
    EXPECT_EQ(parse_ws_url("ws://h:1/")->path, "/ws");
    EXPECT_EQ(parse_ws_url("ws://h:1/other/path?x=1")->path, "/other/path?x=1");
}

TEST(WsUrl, AcceptsBracketedIpv6) {
    auto u = parse_ws_url("ws://[::1]:9000/ws");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, "9000");
    EXPECT_EQ(u->host_header, "[::1]:9000");
}

TEST(WsUrl, RefusesWhatItCannotConnectTo) {
    for (const char* bad : {"http://h/ws", "wss://h/ws", "ws://", "ws://:80/ws", "ws://h:0/ws",
                            "ws://h:65536/ws", "ws://h:x/ws", "ws://h:/ws", "ws://h /ws",
                            "ws://u@h/ws", "ws://h/ws#frag", "ws://[::1/ws", "h:80"}) {
        auto u = parse_ws_url(bad);
        ASSERT_FALSE(u) << bad;
        EXPECT_EQ(u.error().code, ErrorCode::InvalidUrl) << bad;
        EXPECT_NE(u.error().message.find(bad), std::string::npos) << u.error().message;
    }
}

}  // namespace
}  // namespace confab::client
