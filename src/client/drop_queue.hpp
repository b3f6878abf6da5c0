// QoS 0 publications waiting to be written. Each has a deadline (publish time + drop_after):
// one still queued then is dropped and its publisher told. Nothing here survives a
// reconnect except by being young enough. Pure; one client's strand.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "client/publish_done.hpp"

namespace confab::client {

struct DropEntry {
    std::string room;
    std::string id;
    std::string frame;  // the encoded pub command
    PublishDone done;
    std::chrono::steady_clock::time_point deadline;
};

class DropQueue {
public:
    using Clock = std::chrono::steady_clock;

    void push(DropEntry entry) { entries_.push_back(std::move(entry)); }

    // Removes and returns every entry whose deadline is at or before `now`, oldest first.
    std::vector<DropEntry> expire(Clock::time_point now);

    // Entries whose room `ready(room)` allows, in order: `send(entry&&)` takes each until it
    // returns false (the batch is full). Taken entries leave the queue.
    template <typename Ready, typename Send>
    void send_ready(Ready&& ready, Send&& send) {
        for (auto it = entries_.begin(); it != entries_.end();) {
            if (!ready(it->room)) {
                ++it;
                continue;
            }
            if (!send(std::move(*it))) return;
            it = entries_.erase(it);
        }
    }

    std::vector<DropEntry> drain();
    std::optional<Clock::time_point> next_deadline() const;
    bool has_room(const std::string& room) const;
    std::size_t size() const { return entries_.size(); }

private:
    std::deque<DropEntry> entries_;  // publish order (deadlines nearly ascending)
};

}  // namespace confab::client
