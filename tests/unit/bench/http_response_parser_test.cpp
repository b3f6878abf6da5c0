#include "bench/http_response_parser.hpp"

#include <gtest/gtest.h>

namespace confab::bench {
namespace {

constexpr std::string_view k201 =
    "HTTP/1.1 201 Created\r\nServer: confab\r\nContent-Type: application/json\r\n"
    "Content-Length: 12\r\nConnection: keep-alive\r\n\r\n{\"seq\":17} \n";
constexpr std::string_view k202 = "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}";

TEST(BenchHttpResponseParser, ReadsStatusAndBody) {
    HttpResponseParser p;
    p.feed(k201);
    auto r = p.next();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->status, 201);
    EXPECT_EQ((*r)->body, "{\"seq\":17} \n");
    EXPECT_FALSE((*r)->close);
    auto none = p.next();
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(BenchHttpResponseParser, SplitsPipelinedResponsesInOrder) {
    HttpResponseParser p;
    p.feed(std::string(k201) + std::string(k202) + std::string(k201));
    int statuses[3] = {};
    for (int& s : statuses) {
        auto r = p.next();
        ASSERT_TRUE(r && *r);
        s = (*r)->status;
    }
    EXPECT_EQ(statuses[0], 201);
    EXPECT_EQ(statuses[1], 202);
    EXPECT_EQ(statuses[2], 201);
    EXPECT_EQ(p.buffered(), 0u);
}

TEST(BenchHttpResponseParser, WaitsForEveryByteOfHeadAndBody) {
    HttpResponseParser p;
    const std::string all(k201);
    for (std::size_t i = 0; i + 1 < all.size(); ++i) {
        p.feed(all.substr(i, 1));
        auto r = p.next();
        ASSERT_TRUE(r);
        ASSERT_FALSE(*r) << "complete after " << i + 1 << " of " << all.size() << " bytes";
    }
    p.feed(all.substr(all.size() - 1));
    auto r = p.next();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->status, 201);
}

TEST(BenchHttpResponseParser, NoContentHasNoBody) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 204 No Content\r\nServer: confab\r\n\r\n");
    auto r = p.next();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->status, 204);
    EXPECT_TRUE((*r)->body.empty());
}

TEST(BenchHttpResponseParser, ConnectionCloseIsReported) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    auto r = p.next();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->status, 503);
    EXPECT_TRUE((*r)->close);
}

TEST(BenchHttpResponseParser, RejectsWhatItCannotFrame) {
    const char* bad[] = {
        "HTTP/1.1 2x1 Created\r\nContent-Length: 0\r\n\r\n",
        "SPDY/3 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nServer: confab\r\n\r\n",
    };
    for (const char* text : bad) {
        HttpResponseParser p;
        p.feed(text);
        EXPECT_FALSE(p.next()) << text;
    }
}

TEST(BenchHttpResponseParser, RejectsAnEndlessHead) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a'));
    EXPECT_FALSE(p.next());
}

}  // namespace
}  // namespace confab::bench
