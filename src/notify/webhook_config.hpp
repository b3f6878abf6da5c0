// WebhookConfig: what `confab serve --webhook ...` configures. Read-only after start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "notify/retry_policy.hpp"
#include "notify/webhook_url.hpp"

namespace confab::notify {

struct WebhookConfig {
    WebhookUrl url;
    std::string secret;                        // empty: bodies are not signed
    std::size_t queue_limit = 10'000;          // events waiting; when full the oldest go
    std::chrono::milliseconds timeout{5'000};  // per POST: connect, send, answer
    RetryPolicy retry{};
    std::size_t max_batch = 100;  // events per POST
};

}  // namespace confab::notify
