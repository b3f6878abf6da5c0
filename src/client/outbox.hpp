// The QoS 1 outbox: every accepted QoS 1 publication, in publish order, until the server acks
// it. After a reconnect every entry is sent again with the same id (the server deduplicates
// on room + session + id). Bounded by the caller (Admission). Pure; one client's strand.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/publish_done.hpp"

namespace confab::client {

struct OutboxEntry {
    std::string room;
    std::string id;
    std::string frame;  // the encoded pub command; identical on every re-send
    PublishDone done;
    bool sent = false;  // written on the current connection, its ack is awaited
    std::chrono::steady_clock::time_point retry_at{};  // after `unavailable`: not before
    bool delayed() const { return retry_at != std::chrono::steady_clock::time_point{}; }
};

class Outbox {
public:
    using Clock = std::chrono::steady_clock;

    void push(OutboxEntry entry) { entries_.push_back(std::move(entry)); }

    // Removes and returns the entry for (room, id), if any (an ack or a final error).
    std::optional<OutboxEntry> take(std::string_view room, std::string_view id);

    // Unsent entries whose room `ready(room)` says may publish now and whose retry time has
    // come, in publish order: `send(entry)` is called for each until it returns false (the
    // batch is full); each entry passed is marked sent.
    template <typename Ready, typename Send>
    void send_unsent(Clock::time_point now, Ready&& ready, Send&& send) {
        for (OutboxEntry& e : entries_) {
            if (e.sent || e.retry_at > now || !ready(e.room)) continue;
            if (!send(e)) return;
            e.sent = true;
            if (e.delayed()) {
                e.retry_at = {};
                --delayed_;
            }
        }
    }

    // The server could not store it (`unavailable`): send again after `at`.
    void retry_later(std::string_view room, std::string_view id, Clock::time_point at);
    // After a disconnect: nothing was acked that we have not seen, so everything is resent.
    void mark_all_unsent();
    // Entries for `room` (its join was refused), in order.
    std::vector<OutboxEntry> take_room(std::string_view room);
    // Everything (close()).
    std::vector<OutboxEntry> drain();

    bool has_room(std::string_view room) const;
    // The earliest retry_at in the future, if an entry waits for one.
    std::optional<Clock::time_point> next_retry(Clock::time_point now) const;
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

private:
    std::deque<OutboxEntry> entries_;  // publish order; acks usually remove the front
    // Entries with a retry_at: next_retry() runs after every step, and with a full outbox
    // (1,000 entries) scanning them all each time cost more than the rest of a publish.
    std::size_t delayed_ = 0;
};

}  // namespace confab::client
