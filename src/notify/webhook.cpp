#include "notify/webhook.hpp"

#include "core/log.hpp"

namespace confab::notify {

Webhook::Webhook(WebhookConfig config)
    : config_(std::move(config)),
      feed_(config_.queue_limit, stats_),
      sender_(std::make_unique<WebhookSender>(config_, feed_, stats_)) {
    log::info("webhook: POSTing room events to http://{}{} (queue {}, timeout {} ms{})",
              config_.url.host_header(), config_.url.target, config_.queue_limit,
              config_.timeout.count(), config_.secret.empty() ? ", unsigned" : ", signed");
}

Webhook::~Webhook() {
    sender_->stop(std::chrono::milliseconds(0));
}

}  // namespace confab::notify
