#include "http/http_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "core/log.hpp"
#include "http/metrics.hpp"
#include "http/resources_api.hpp"
#include "http/rooms_api.hpp"
#include "http/responses.hpp"
#include "rooms/room_name.hpp"
#include "proto/command.hpp"
#include "session/echo_endpoint.hpp"
#include "session/room_endpoint.hpp"
#include "session/v1_session.hpp"
#include "ws/handshake.hpp"

namespace confab::http {

namespace bhttp = boost::beast::http;

namespace {
constexpr std::string_view kRoomsPrefix = "/ws/rooms/";

std::string_view header(const HttpSession::Request& req, bhttp::field f) {
    auto it = req.find(f);
    return it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
}
}  // namespace

HttpSession::HttpSession(net::Connection& conn, const session::SessionContext& ctx,
                         const StaticFiles& files, const RoomsApi& api, const ResourcesApi& resources,
                         ClientRateLimiter& rate_limiter)
    : conn_(conn), ctx_(ctx), files_(files), api_(api), resources_(resources),
      rate_limiter_(rate_limiter) {}

void HttpSession::on_start() {
    client_address_ = conn_.peer_address();  // once: it asks the kernel
    new_parser();
    deadline_ = net::Clock::now() + ctx_.config.handshake_timeout;
    idle_ = false;  // a new connection must send its first request head in time
}

void HttpSession::new_parser() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.config.max_request_header));
    parser_->body_limit(ctx_.config.max_request_body);
    parser_->eager(true);
}

void HttpSession::on_data(std::span<std::uint8_t> bytes) {
    if (done_) return;
    if (idle_) {
        idle_ = false;
        deadline_ = net::Clock::now() + ctx_.config.handshake_timeout;
    }
    std::string_view input(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (awaiting_ || !buffer_.empty()) {
        // Behind an unanswered request (pipelining) or an incomplete head: keep the bytes,
        // bounded like one request.
        if (buffer_.size() + input.size() > ctx_.config.max_request_header + ctx_.config.max_request_body) {
            return fail(413, "too much pipelined input while a request is pending");
        }
        buffer_.append(input);
        if (awaiting_) return;
        std::string pending = std::move(buffer_);
        buffer_.clear();
        return consume(pending);
    }
    consume(input);
}

void HttpSession::consume(std::string_view input) {
    std::size_t used_total = 0;
    while (used_total < input.size() && !awaiting_) {
        auto used = parse(input.substr(used_total));
        if (!used) return;  // done_: input belongs to someone else now, or we are closing
        if (*used == 0) break;
        used_total += *used;
    }
    // Keep what Beast has not consumed (an incomplete head), or what waits behind a pending
    // request.
    buffer_.assign(input.substr(used_total));
}

void HttpSession::complete(FrameRef response, bool keep_alive) {
    awaiting_ = false;
    respond(std::move(response), keep_alive);
    if (done_) return;
    idle_ = buffer_.empty();
    deadline_ = net::Clock::now() + (idle_ ? ctx_.config.keepalive_idle : ctx_.config.handshake_timeout);
    if (!buffer_.empty()) {
        std::string pending = std::move(buffer_);
        buffer_.clear();
        consume(pending);
    }
}

std::optional<std::size_t> HttpSession::parse(std::string_view data) {
    boost::beast::error_code ec;
    std::size_t used = parser_->put(boost::asio::buffer(data.data(), data.size()), ec);
    if (ec == bhttp::error::need_more) return used;
    if (ec) {
        if (ec == bhttp::error::header_limit) {
            fail(431, "request head larger than the limit");
        } else if (ec == bhttp::error::body_limit) {
            fail(413, "request body larger than the limit");
        } else {
            fail(400, "malformed HTTP request: " + ec.message());
        }
        return std::nullopt;
    }
    if (!parser_->is_done()) return used;
    Request req = parser_->release();
    new_parser();
    // What follows this request: for an upgrade it is the first WebSocket bytes.
    after_request_ = data.substr(used);  // an upgrade hands these to the endpoint
    handle(req);
    if (done_) return std::nullopt;
    if (awaiting_) {
        // The answer comes later (a store ack); the deadline no longer applies to the peer.
        deadline_ = net::Clock::time_point::max();
        return used;
    }
    idle_ = true;
    deadline_ = net::Clock::now() + ctx_.config.keepalive_idle;
    return used;
}

void HttpSession::handle(Request& req) {
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with("/ws/") || path == "/ws") return handle_upgrade(req, path);
    bool keep = req.keep_alive();
    auto ka = keep ? KeepAlive::Yes : KeepAlive::No;
    if (path == "/healthz") {
        if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
            return respond(make_problem(405, "use GET", ka, {{"Allow", "GET, HEAD"}}), keep);
        }
        return respond(make_response(200, "application/json", R"({"status":"ok"})", ka, {},
                                     req.method() == bhttp::verb::head ? BodyMode::HeadersOnly : BodyMode::Full),
                       keep);
    }
    if (path.starts_with(kApiPrefix)) {
        if (!admit_api_request(req)) return;
        auto reply = [this, weak = conn_.weak_from_this(), keep](FrameRef response) {
            auto alive = weak.lock();
            if (alive && alive->is_open()) complete(std::move(response), keep);
        };
        awaiting_ = true;  // cleared by complete(), which may run right away
        std::string_view query = target.substr(path.size());
        if (path == kResourcesPath || path.starts_with("/api/resources/")) {
            return resources_.handle(req, path, query, ka, conn_, reply);
        }
        api_.handle(req, path, query, ka, conn_, ctx_, reply);
        return;
    }
    if (path == "/metrics") {
        if (req.method() != bhttp::verb::get) {
            return respond(make_problem(405, "use GET", ka, {{"Allow", "GET"}}), keep);
        }
        return respond(make_response(200, "text/plain; version=0.0.4", render_metrics(ctx_), ka), keep);
    }
    serve_static(req, path);
}

bool HttpSession::admit_api_request(const Request& req) {
    bool keep = req.keep_alive();
    auto ka = keep ? KeepAlive::Yes : KeepAlive::No;
    // First, before the key check: a client guessing keys is limited like any other.
    if (auto wait = rate_limiter_.admit(client_address_, net::Clock::now())) {
        auto& stats = ctx_.shard.stats();
        stats.add(stats.api_rate_limited);
        // Debug only: a flood of refusals must not become a flood of log lines.
        log::debug("http {} {}: 429, retry after {}s", conn_.id(), client_address_, wait->count());
        const std::string retry_after = std::to_string(wait->count());
        respond(make_problem(429, "too many API requests from this address; see Retry-After",
                             ka, {{"Retry-After", retry_after}}),
                keep);
        return false;
    }
    // Without Content-Length or chunked framing, a request has an empty body (RFC 9112
    // §6.3), which is how Beast parses it; but a client that sends a write without either
    // most likely meant to send a body we cannot delimit (HTTP/1.0 style, until close). Say
    // so (RFC 9110 §15.5.12) and close: what follows on the connection is not a request.
    const auto method = req.method();
    const bool writes = method == bhttp::verb::post || method == bhttp::verb::put ||
                        method == bhttp::verb::patch;
    if (writes && !req.has_content_length() && !req.chunked()) {
        fail(411, "send the body with Content-Length or Transfer-Encoding: chunked");
        return false;
    }
    return true;
}

void HttpSession::serve_static(Request& req, std::string_view path) {
    bool keep = req.keep_alive();
    auto ka = keep ? KeepAlive::Yes : KeepAlive::No;
    const StaticFiles::File* file = files_.find(path);
    if (!file) return respond(make_problem(404, "no such resource", ka), keep);
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
        return respond(make_problem(405, "static files accept GET and HEAD", ka, {{"Allow", "GET, HEAD"}}), keep);
    }
    bool not_modified = header(req, bhttp::field::if_none_match) == file->etag;
    auto mode = req.method() == bhttp::verb::head ? BodyMode::HeadersOnly : BodyMode::Full;
    respond(make_response(not_modified ? 304 : 200, file->content_type, file->body, ka,
                          {{"ETag", file->etag}, {"Cache-Control", "no-cache"}}, mode),
            keep);
}

void HttpSession::handle_upgrade(Request& req, std::string_view path) {
    std::string room;
    bool v1 = false;
    if (path == "/ws") {
        v1 = true;
    } else if (path.starts_with(kRoomsPrefix)) {
        room = std::string(path.substr(kRoomsPrefix.size()));
        if (!rooms::is_valid_room_name(room)) {
            return fail(400, "invalid room name: use 1-128 of [A-Za-z0-9._:-/]");
        }
    } else if (path != "/ws/echo") {
        return fail(404, "no WebSocket endpoint at this path");
    }
    ws::UpgradeRequest up{
        .method = std::string_view(req.method_string().data(), req.method_string().size()),
        .http_version = req.version(),
        .upgrade = header(req, bhttp::field::upgrade),
        .connection = header(req, bhttp::field::connection),
        .key = header(req, bhttp::field::sec_websocket_key),
        .version = header(req, bhttp::field::sec_websocket_version),
        .extensions = header(req, bhttp::field::sec_websocket_extensions),
    };
    ws::UpgradeDecision decision = ws::check_upgrade(up, ctx_.config.permessage_deflate);
    // confab.v1 only: a client must ask for it, so that a plain WebSocket client does not
    // mistake this endpoint for a hub (RFC 6455 §4.2.2: the server picks a subprotocol).
    // Checked after the method and the handshake, like the other handshake headers, so that
    // a POST is 405 here as everywhere.
    const auto offered = header(req, bhttp::field::sec_websocket_protocol);
    if (decision.status == 101 && v1 && !ws::header_has_token(offered, proto::kSubprotocol)) {
        decision.status = 400;
        decision.error =
            "the /ws endpoint speaks the confab.v1 subprotocol: offer it in Sec-WebSocket-Protocol";
    }
    if (decision.status != 101) {
        log::info("http {} {}: refused upgrade on {}: {}", conn_.id(), conn_.peer(), path, decision.error);
        done_ = true;
        // (Each branch builds its own header list: an initializer_list must not outlive the
        // braces it came from.)
        if (decision.status == 426) {
            conn_.send(make_problem(426, decision.error, KeepAlive::No,
                                    {{"Sec-WebSocket-Version", "13"}, {"Upgrade", "websocket"}}));
        } else if (decision.status == 405) {
            conn_.send(make_problem(405, decision.error, KeepAlive::No, {{"Allow", "GET"}}));
        } else {
            conn_.send(make_problem(decision.status, decision.error, KeepAlive::No));
        }
        conn_.close_after_flush();
        return;
    }
    std::optional<ws::DeflateParams> deflate;
    std::string ext;
    if (decision.deflate) {
        deflate = decision.deflate->params;
        ext = decision.deflate->response_header;
    }
    conn_.send(switching_protocols(decision.accept, ext, v1 ? proto::kSubprotocol : std::string_view{}));
    std::unique_ptr<net::ConnectionHandler> next;
    if (v1) {
        next = std::make_unique<session::V1Session>(conn_, ctx_, deflate);
    } else if (room.empty()) {
        next = std::make_unique<session::EchoEndpoint>(conn_, ctx_.config, ctx_.shard.stats(), deflate);
    } else {
        next = std::make_unique<session::RoomEndpoint>(conn_, ctx_, deflate, std::move(room));
    }
    done_ = true;
    conn_.replace_handler(std::move(next), std::string(after_request_));
}

void HttpSession::respond(FrameRef response, bool keep_alive) {
    conn_.send(std::move(response));
    if (!keep_alive) {
        done_ = true;
        conn_.close_after_flush();
    }
}

void HttpSession::fail(int status, std::string_view detail) {
    log::info("http {} {}: {} {}", conn_.id(), conn_.peer(), status, detail);
    done_ = true;
    conn_.send(make_problem(status, detail, KeepAlive::No));
    conn_.close_after_flush();
}

void HttpSession::on_tick(net::Clock::time_point now) {
    if (done_ || now < deadline_) return;
    if (idle_) {
        conn_.close_now();  // an idle keep-alive connection: nothing to say
    } else {
        fail(408, "request head not received in time");
    }
}

}  // namespace confab::http
