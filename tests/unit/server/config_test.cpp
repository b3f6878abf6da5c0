#include "server/config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace confab::server {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
    EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
    EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
    EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
    EXPECT_EQ(parse_duration("1.5"), milliseconds(1'500));
}

TEST(ParseDuration, RejectsGarbageWithAClearMessage) {
    EXPECT_THROW(parse_duration(""), std::invalid_argument);
    EXPECT_THROW(parse_duration("fast"), std::invalid_argument);
    try {
        parse_duration("10parsecs");
        FAIL() << "accepted an unknown unit";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("10parsecs"), std::string::npos);
    }
}

TEST(ParseSize, AcceptsBinaryUnits) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("64KiB"), 64u * 1024);
    EXPECT_EQ(parse_size("4MiB"), 4u << 20);
    EXPECT_EQ(parse_size("1G"), 1u << 30);
    EXPECT_THROW(parse_size("4 lots"), std::invalid_argument);
}

TEST(ParseHostPort, SplitsHostAndPort) {
    auto hp = parse_host_port("127.0.0.1:8080");
    EXPECT_EQ(hp.host, "127.0.0.1");
    EXPECT_EQ(hp.port, 8080);
    EXPECT_EQ(parse_host_port("[::1]:0").host, "::1");
    EXPECT_EQ(parse_host_port(":3030").host, "0.0.0.0");
}

TEST(ParseHostPort, RejectsMissingOrBadPort) {
    EXPECT_THROW(parse_host_port("localhost"), std::invalid_argument);
    EXPECT_THROW(parse_host_port("127.0.0.1:http"), std::invalid_argument);
    EXPECT_THROW(parse_host_port("127.0.0.1:70000"), std::invalid_argument);
    EXPECT_THROW(parse_host_port("127.0.0.1:"), std::invalid_argument);
}

}  // namespace
}  // namespace confab::server
