#include "notify/webhook_sender.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <random>

#include "core/log.hpp"
#include "notify/signature.hpp"

namespace confab::notify {

namespace asio = boost::asio;

namespace {
std::string new_run_id() {
    std::random_device rd;
    std::uint64_t id = (std::uint64_t{rd()} << 32) | rd();
    return fmt::format("{:016x}", id);
}
}  // namespace

WebhookSender::WebhookSender(const WebhookConfig& config, EventFeed& feed, WebhookStats& stats)
    : config_(config),
      feed_(feed),
      stats_(stats),
      run_id_(new_run_id()),
      work_(io_.get_executor()),
      connection_(io_, config.url),
      retry_timer_(io_),
      stop_timer_(io_),
      backoff_(config.retry) {
    // The feed calls this on a loop thread when the first event after a quiet spell arrives.
    feed_.set_wake([this] { asio::post(io_, [this] { send_next(); }); });
    thread_ = std::thread([this] { io_.run(); });
}

WebhookSender::~WebhookSender() {
    stop(std::chrono::milliseconds(0));
}

void WebhookSender::stop(std::chrono::milliseconds flush_for) {
    if (!thread_.joinable()) return;
    asio::post(io_, [this, flush_for] {
        stopping_ = true;
        stop_timer_.expires_after(flush_for);
        stop_timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) finish();
        });
        if (batch_.empty()) send_next();  // idle: flush what is queued, or finish now
    });
    thread_.join();
}

void WebhookSender::finish() {
    std::size_t left = batch_.size() + feed_.size();
    if (left > 0) log::warn("webhook: stopping with {} event(s) not delivered", left);
    retry_timer_.cancel();
    stop_timer_.cancel();
    connection_.close();
    work_.reset();
    io_.stop();  // abandons a POST in flight: the deadline has passed
}

void WebhookSender::send_next() {
    if (!batch_.empty()) return;  // a batch is in flight or waiting to be retried
    batch_ = feed_.take_or_sleep(config_.max_batch);
    if (batch_.empty()) {
        if (stopping_) finish();
        return;
    }
    body_ = batch_body(batch_, run_id_);
    signature_ = config_.secret.empty() ? std::string() : signature_value(config_.secret, body_);
    post_batch();
}

void WebhookSender::post_batch() {
    connection_.post(body_, signature_, config_.timeout,
                     [this](const PostOutcome& outcome) { on_outcome(outcome); });
}

void WebhookSender::on_outcome(const PostOutcome& outcome) {
    if (outcome.error) return retry_later(outcome.error.message());
    switch (verdict_for_status(outcome.status)) {
        case Verdict::Delivered:
            WebhookStats::add(stats_.delivered, batch_.size());
            break;
        case Verdict::Refused:
            // Retrying cannot help: the receiver rejects this body. Move on rather than block
            // every later event behind it.
            WebhookStats::add(stats_.refused, batch_.size());
            log::warn(
                "webhook: the receiver answered {}: dropped {} event(s) (seq {}..{}) without "
                "retrying",
                outcome.status, batch_.size(), batch_.front().seq, batch_.back().seq);
            break;
        case Verdict::Retry:
            return retry_later(fmt::format("answered {}", outcome.status));
    }
    if (backoff_.failures() > 0)
        log::info("webhook: delivering again after {} failed attempt(s)", backoff_.failures());
    backoff_.reset();
    batch_.clear();
    send_next();
}

void WebhookSender::retry_later(const std::string& why) {
    WebhookStats::add(stats_.failed_attempts);
    std::chrono::milliseconds delay = backoff_.next();
    if (auto n = failure_log_.occurred(LogThrottle::Clock::now())) {
        log::warn(
            "webhook: POST {} failed ({}); {} failure(s) since the last report; retrying in {} ms",
            config_.url.target, why, *n, delay.count());
    }
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) post_batch();
    });
}

}  // namespace confab::notify
