// HttpSession: HTTP/1.1 on an accepted connection (keep-alive, pipelined requests answered in
// order) until a WebSocket upgrade hands the connection to an endpoint. Parsing is Beast's;
// limits on header size, body size and the time to send a request head (slowloris); /api
// requests also pass this loop's rate limiter and must frame their bodies (429, 411).
// Loop thread only.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>

#include "http/client_rate_limiter.hpp"
#include "http/resources_api.hpp"
#include "http/rooms_api.hpp"
#include "http/static_files.hpp"
#include "net/connection.hpp"
#include "session/session_context.hpp"

namespace confab::http {

class HttpSession final : public net::ConnectionHandler {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    // `rate_limiter` is this loop's (/api requests per client address); it must outlive the
    // session, like the other references.
    HttpSession(net::Connection& conn, const session::SessionContext& ctx,
                const StaticFiles& files, const RoomsApi& api, const ResourcesApi& resources,
                ClientRateLimiter& rate_limiter);

    void on_start() override;
    void on_data(std::span<std::uint8_t> bytes) override;
    void on_tick(net::Clock::time_point now) override;
    void on_shutdown() override { conn_.close_after_flush(std::chrono::milliseconds(100)); }
    void on_closed() override {}

private:
    using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    // Parses from `data`; returns bytes used, or nullopt when the connection is done.
    std::optional<std::size_t> parse(std::string_view data);
    void consume(std::string_view input);
    // Sends the answer to the request that set awaiting_, then serves what queued behind it.
    void complete(FrameRef response, bool keep_alive);
    void new_parser();
    void handle(Request& req);
    void handle_upgrade(Request& req, std::string_view path);
    // The checks every /api request passes before its handler (429, 411); false when one
    // failed and was answered.
    bool admit_api_request(const Request& req);
    void serve_static(Request& req, std::string_view path);
    void respond(FrameRef response, bool keep_alive);
    void fail(int status, std::string_view detail);

    net::Connection& conn_;
    const session::SessionContext& ctx_;
    const StaticFiles& files_;
    const RoomsApi& api_;
    const ResourcesApi& resources_;
    ClientRateLimiter& rate_limiter_;
    std::string client_address_;  // the peer's address, the rate limiter's key
    std::optional<Parser> parser_;
    std::string buffer_;  // bytes of an incomplete request head
    std::string_view after_request_;  // input after the request being handled
    net::Clock::time_point deadline_{};
    bool idle_ = true;  // between requests: the keep-alive timeout applies
    bool done_ = false;  // upgraded or closing: ignore further input
    bool awaiting_ = false;  // a request is being answered asynchronously
};

}  // namespace confab::http
