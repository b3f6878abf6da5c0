// EventFeed: the hand-over between the event loops and the webhook thread. Loops report what
// happened in their rooms; the feed turns that into ordered events in a bounded queue, and the
// webhook thread takes them from the front. Loop threads and the webhook thread; the mutex is
// held for a hash lookup and a queue push, never across I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

#include "notify/log_throttle.hpp"
#include "notify/occupancy.hpp"
#include "notify/webhook_event.hpp"
#include "notify/webhook_queue.hpp"
#include "notify/webhook_stats.hpp"
#include "rooms/member.hpp"

namespace confab::notify {

// After a member left: does the reporting loop still have members in the room?
enum class LocalRoom { StillOccupied, NowEmpty };

// Why occupancy is counted here, under the queue's mutex, rather than by the webhook thread
// from a stream of +1/-1 messages: the order in which transitions are counted is then exactly
// the order in which events are queued, so "member.left" always precedes the "room.vacated"
// it caused and "room.occupied" precedes any later leave, across every loop. The count is per
// room and per loop (not per member), so a loop reports only when a room fills or empties on
// it; nothing of this runs unless a webhook is configured.
class EventFeed {
public:
    EventFeed(std::size_t queue_limit, WebhookStats& stats);

    // Loop threads. `room` just got its first member on the calling loop.
    void room_filled_here(std::string_view room);
    // Loop threads. A member left `room`; `here` says whether the calling loop still has
    // members in it (NowEmpty may complete a room.vacated).
    void member_left(std::string_view room, const rooms::MemberInfo& member,
                     rooms::LeaveReason reason, LocalRoom here);

    // Webhook thread. `wake` is called (on a loop thread, without the mutex held) when an
    // event arrives while the webhook thread sleeps; it must only post to that thread.
    // Set once, before any event.
    void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
    // Webhook thread. Removes and returns up to `max` of the oldest events; when there are
    // none, the webhook thread is asleep until `wake` is called.
    std::vector<WebhookEvent> take_or_sleep(std::size_t max);

    std::size_t size() const;  // events waiting; any thread

private:
    // With mu_ held: queues one event; true if the webhook thread must be woken.
    bool push_locked(WebhookEvent event, std::uint64_t& dropped_log_count);
    void after_push(bool wake, std::uint64_t dropped_log_count);

    WebhookStats& stats_;
    mutable std::mutex mu_;
    Occupancy occupancy_;         // guarded by mu_
    WebhookQueue queue_;          // guarded by mu_
    std::uint64_t next_seq_ = 1;  // guarded by mu_: events are numbered in queue order
    bool sleeping_ = true;        // guarded by mu_: the webhook thread waits for `wake`
    LogThrottle drop_log_{std::chrono::seconds(10)};  // guarded by mu_
    std::function<void()> wake_;
};

}  // namespace confab::notify
