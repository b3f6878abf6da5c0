#include "notify/webhook_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace confab::notify {
namespace {

std::string error_of(std::string_view url) {
    try {
        parse_webhook_url(url);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(WebhookUrl, SplitsHostPortAndTarget) {
    auto u = parse_webhook_url("http://backend.internal:8081/hooks/confab?v=1");
    EXPECT_EQ(u.host, "backend.internal");
    EXPECT_EQ(u.port, 8081);
    EXPECT_EQ(u.target, "/hooks/confab?v=1");
    EXPECT_EQ(u.host_header(), "backend.internal:8081");
}

TEST(WebhookUrl, DefaultsToPort80AndRootPath) {
    auto u = parse_webhook_url("HTTP://10.0.0.7");
    EXPECT_EQ(u.port, 80);
    EXPECT_EQ(u.target, "/");
    EXPECT_EQ(u.host_header(), "10.0.0.7");
    EXPECT_EQ(parse_webhook_url("http://h?x=1").target, "/?x=1");
}

TEST(WebhookUrl, AcceptsBracketedIpv6) {
    auto u = parse_webhook_url("http://[::1]:9000/h");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 9000);
    EXPECT_EQ(u.host_header(), "[::1]:9000");
}

TEST(WebhookUrl, HttpsIsRefusedWithAMessageThatSaysSo) {
    EXPECT_NE(error_of("https://backend/hook").find("https is not supported yet"),
              std::string::npos);
}

TEST(WebhookUrl, RejectsWhatItCannotSend) {
    EXPECT_NE(error_of("ftp://x/"), "");
    EXPECT_NE(error_of("backend:80/hook"), "");
    EXPECT_NE(error_of("http://"), "");
    EXPECT_NE(error_of("http://:80/"), "");
    EXPECT_NE(error_of("http://h:0/"), "");
    EXPECT_NE(error_of("http://h:65536/"), "");
    EXPECT_NE(error_of("http://h:/"), "");
    EXPECT_NE(error_of("http://h:8x/"), "");
    EXPECT_NE(error_of("http://user:pw@h/"), "");
    EXPECT_NE(error_of("http://h/a#frag"), "");
    EXPECT_NE(error_of("http://h/a b"), "");
    EXPECT_NE(error_of("http://[::1/"), "");
}

TEST(WebhookUrl, ErrorNamesTheFlagAndTheUrl) {
    std::string e = error_of("http://h:99999/");
    EXPECT_NE(e.find("--webhook"), std::string::npos);
    EXPECT_NE(e.find("h:99999"), std::string::npos);
}

}  // namespace
}  // namespace confab::notify
