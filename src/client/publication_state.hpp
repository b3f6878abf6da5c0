// The shared state behind confab::Publication: completed once on the client's strand,
// waited on by any thread. Any thread.
#pragma once

#include <condition_variable>
#include <confab/client.hpp>
#include <mutex>
#include <optional>
#include <string>

namespace confab::client {

struct PublicationState {
    explicit PublicationState(std::string message_id) : id(std::move(message_id)) {}

    void complete(const Result<Ack>& r) {
        {
            std::lock_guard lock(mutex);
            if (result) return;
            result = r;
        }
        done.notify_all();
    }

    const std::string id;
    mutable std::mutex mutex;
    std::condition_variable done;
    std::optional<Result<Ack>> result;  // guarded by mutex; set once
};

}  // namespace confab::client
