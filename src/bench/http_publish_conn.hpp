// One keep-alive HTTP/1.1 connection of `confab bench http-publish`: keeps up to `window`
// publish requests pipelined, and matches each response to its request in order (RFC 9112
// §9.3.2: responses come back in request order). Non-blocking, level-triggered on the
// owner's epoll instance; one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "bench/http_response_parser.hpp"
#include "bench/target.hpp"

namespace confab::bench {

class HttpPublishConn {
public:
    // The body of request number n on this connection.
    using BodyOf = std::function<std::string(std::uint64_t n)>;
    // Called per response with the send time of its request.
    using OnResponse = std::function<void(const HttpResponse&, std::int64_t sent_ns)>;

    HttpPublishConn(const Target& target, std::string path, BodyOf body_of);
    ~HttpPublishConn();
    HttpPublishConn(const HttpPublishConn&) = delete;
    HttpPublishConn& operator=(const HttpPublishConn&) = delete;

    // Connects (blocking, loopback-fast) and registers with `epoll_fd`. Returns an error
    // text, empty on success.
    std::string connect(int epoll_fd);
    // Queues requests until `window` are in flight and writes what the socket takes.
    void top_up(unsigned window, std::int64_t now);
    // Handles readiness; responses go to `on_response`. Returns an error text when the
    // connection broke (then it is closed, and what was in flight is lost).
    std::string on_io(std::uint32_t events, const OnResponse& on_response);

    bool open() const { return fd_ >= 0; }
    std::size_t in_flight() const { return sent_ns_.size(); }

private:
    void flush();
    void watch_writable(bool on);
    void close_socket();

    const Target& target_;
    std::string path_;
    BodyOf body_of_;
    int fd_ = -1;
    int epoll_fd_ = -1;
    bool want_write_ = false;
    std::uint64_t next_request_ = 0;
    std::string out_;                   // requests not yet taken by the socket
    std::deque<std::int64_t> sent_ns_;  // one per request in flight, oldest first
    HttpResponseParser parser_;
};

}  // namespace confab::bench
