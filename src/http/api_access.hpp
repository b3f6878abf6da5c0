// What every endpoint under /api/ shares: who may call it (docs/http-api.md, "Access") and
// reading its query strings. Pure apart from asking the connection for its peer address.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_frame.hpp"
#include "http/responses.hpp"
#include "net/connection.hpp"

namespace confab::http {

// The 401/403 answer for a request that may not use the API, or nullopt when it may:
// without configured `keys` only loopback peers, with keys a matching Bearer token.
std::optional<FrameRef> api_refusal(
    const boost::beast::http::request<boost::beast::http::string_body>& req,
    const net::Connection& conn, const std::vector<std::string>& keys, KeepAlive keep_alive);

// The value of `name` in a query string "?a=1&b=2" (no percent-decoding: the values the API
// accepts never need it); "" for a bare name, nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name);

}  // namespace confab::http
