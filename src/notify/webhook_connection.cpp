#include "notify/webhook_connection.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "notify/signature.hpp"

namespace confab::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
// The receiver's answer body is read (to keep the connection in step) and ignored; a larger
// one ends the connection, but its status still counts.
constexpr std::uint64_t kMaxAnswerBody = 64 * 1024;
}  // namespace

WebhookConnection::WebhookConnection(asio::io_context& io, WebhookUrl url)
    : url_(std::move(url)), resolver_(io), resolve_timer_(io), stream_(io) {}

void WebhookConnection::post(std::string body, std::string signature,
                             std::chrono::milliseconds timeout, Done done) {
    request_ = {bhttp::verb::post, url_.target, 11};
    request_.set(bhttp::field::host, url_.host_header());
    request_.set(bhttp::field::user_agent, "confab-webhook/0.1");
    request_.set(bhttp::field::content_type, "application/json");
    if (!signature.empty()) request_.set(kSignatureHeader, signature);
    request_.body() = std::move(body);
    request_.keep_alive(true);
    request_.prepare_payload();
    done_ = std::move(done);
    deadline_ = Clock::now() + timeout;
    if (connected_) return send(Reused::Yes);
    connect();
}

void WebhookConnection::connect() {
    close();
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) {
        // A literal address needs no resolver (and no resolver thread).
        return connect_to(tcp::resolver::results_type::create(
            tcp::endpoint(address, url_.port), url_.host, std::to_string(url_.port)));
    }
    // The resolver is not covered by the stream's timer: give it its own deadline.
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec) resolver_.cancel();
    });
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [this](boost::system::error_code resolve_ec, tcp::resolver::results_type results) {
            resolve_timer_.cancel();
            if (resolve_ec == asio::error::operation_aborted) resolve_ec = beast::error::timeout;
            if (resolve_ec) return finish({.error = resolve_ec});
            connect_to(results);
        });
}

void WebhookConnection::connect_to(const tcp::resolver::results_type& endpoints) {
    stream_.expires_at(deadline_);
    stream_.async_connect(endpoints, [this](boost::system::error_code ec, const tcp::endpoint&) {
        if (ec) return failed(ec, Reused::No);
        boost::system::error_code ignored;
        stream_.socket().set_option(tcp::no_delay(true), ignored);
        connected_ = true;
        send(Reused::No);
    });
}

void WebhookConnection::send(Reused reused) {
    stream_.expires_at(deadline_);
    bhttp::async_write(stream_, request_,
                       [this, reused](boost::system::error_code ec, std::size_t) {
                           if (ec) return failed(ec, reused);
                           read_answer(reused);
                       });
}

void WebhookConnection::read_answer(Reused reused) {
    parser_.emplace();
    parser_->body_limit(kMaxAnswerBody);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [this, reused](boost::system::error_code ec, std::size_t) {
                          if (ec && !parser_->is_header_done()) return failed(ec, reused);
                          unsigned status = parser_->get().result_int();
                          // An answer that was cut short, too large, or says "close" ends this
                          // connection.
                          if (ec || !parser_->get().keep_alive()) close();
                          finish({.status = status});
                      });
}

void WebhookConnection::failed(boost::system::error_code ec, Reused reused) {
    close();
    // A kept-alive connection that the receiver closed while it was idle fails on first use.
    // That says nothing about the receiver: try once more, at once, on a new connection. (If
    // the request did arrive, the receiver sees it twice with the same event ids.)
    if (reused == Reused::Yes && Clock::now() < deadline_) return connect();
    finish({.error = ec});
}

void WebhookConnection::finish(PostOutcome outcome) {
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(outcome);
}

void WebhookConnection::close() {
    if (!connected_ && !stream_.socket().is_open()) return;
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
}

}  // namespace confab::notify
