#include "http/api_access.hpp"

#include <algorithm>

namespace confab::http {

namespace {
bool is_loopback(const net::Connection& conn) {
    std::string peer = conn.peer();
    return peer.starts_with("127.") || peer.starts_with("::1") || peer.starts_with("[::1]") ||
           peer.starts_with("::ffff:127.");
}
}  // namespace

std::optional<FrameRef> api_refusal(
    const boost::beast::http::request<boost::beast::http::string_body>& req,
    const net::Connection& conn, const std::vector<std::string>& keys, KeepAlive keep_alive) {
    if (keys.empty()) {
        if (is_loopback(conn)) return std::nullopt;
        return make_problem(403, "the API answers only loopback peers unless --api-key is set",
                            keep_alive);
    }
    auto value = req[boost::beast::http::field::authorization];
    std::string_view auth(value.data(), value.size());
    if (auth.starts_with("Bearer ") &&
        std::find(keys.begin(), keys.end(), auth.substr(7)) != keys.end()) {
        return std::nullopt;
    }
    return make_problem(401, "missing or unknown API key (Authorization: Bearer KEY)", keep_alive,
                        {{"WWW-Authenticate", "Bearer"}});
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);
    while (!query.empty()) {
        std::string_view pair = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(query.size(), pair.size() + 1));
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    }
    return std::nullopt;
}

}  // namespace confab::http
