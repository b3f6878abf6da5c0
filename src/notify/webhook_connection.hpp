// WebhookConnection: the webhook's HTTP/1.1 client connection to the receiver, kept alive
// between POSTs (Beast's serializer and parser). One request at a time. Webhook thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "notify/webhook_url.hpp"

namespace confab::notify {

struct PostOutcome {
    boost::system::error_code error;  // no answer: connect/send/read failed or timed out
    unsigned status = 0;              // the answer's status when there is no error
};

class WebhookConnection {
public:
    using Done = std::function<void(const PostOutcome&)>;

    WebhookConnection(boost::asio::io_context& io, WebhookUrl url);

    // POSTs `body` (application/json) with the signature header when `signature` is not
    // empty. Connects first when no connection is open; a kept-alive connection the receiver
    // closed while idle is replaced once, at once. Everything (resolve, connect, send,
    // answer) must finish within `timeout`. `done` runs once on the io_context's thread,
    // unless the io_context is stopped first. Not re-entrant: one POST at a time.
    void post(std::string body, std::string signature, std::chrono::milliseconds timeout,
              Done done);

    // Closes the connection (the next POST reconnects); cancels nothing else.
    void close();

private:
    enum class Reused { No, Yes };
    using Clock = std::chrono::steady_clock;

    void connect();
    void connect_to(const boost::asio::ip::tcp::resolver::results_type& endpoints);
    void send(Reused reused);
    void read_answer(Reused reused);
    void failed(boost::system::error_code ec, Reused reused);
    void finish(PostOutcome outcome);

    WebhookUrl url_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer resolve_timer_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::string_body> request_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
    Clock::time_point deadline_{};
    Done done_;
    bool connected_ = false;
};

}  // namespace confab::notify
