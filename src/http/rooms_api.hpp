// The rooms HTTP API (docs/http-api.md): publish into a room (QoS 0, or QoS 1 stored and
// numbered like any confab.v1 publish), read its history, list rooms and members. Answers may
// come later (a store ack); `reply` is then called on the connection's loop. Shared by all
// loops; immutable after construction.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_frame.hpp"
#include "http/responses.hpp"
#include "net/connection.hpp"
#include "session/session_context.hpp"

namespace confab::http {

inline constexpr std::string_view kApiPrefix = "/api/";

struct ApiConfig {
    // Bearer keys; none configured: the API answers only peers on the loopback interface.
    std::vector<std::string> keys;
};

class RoomsApi {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Reply = std::function<void(FrameRef response)>;

    explicit RoomsApi(ApiConfig config) : config_(std::move(config)) {}

    // Answers `req` (path already split from `query`, which starts with '?' or is empty) by
    // calling `reply` exactly once, now or later on this loop.
    void handle(const Request& req, std::string_view path, std::string_view query,
                KeepAlive keep_alive, net::Connection& conn, const session::SessionContext& ctx,
                Reply reply) const;

private:
    ApiConfig config_;
};

}  // namespace confab::http
