// Shard: one event loop, the rooms of the members connected to it, and mailboxes to the other
// shards. A message published here is delivered to local members at once and sent to every
// other shard as one batch per loop turn (one post per shard per turn, not per message).
// Loop thread only, except where noted.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/event_loop.hpp"
#include "rooms/room_registry.hpp"
#include "shard/held_messages.hpp"
#include "shard/stats.hpp"

namespace confab::shard {

class Shard {
public:
    // Presence may wait this long to go out with the rest of a burst (see publish_soon).
    static constexpr std::chrono::milliseconds kDefaultHold{50};
    static constexpr std::size_t kMaxHeld = 4096;

    explicit Shard(unsigned index, std::chrono::milliseconds hold = kDefaultHold);
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    unsigned index() const { return loop_.index(); }
    net::EventLoop& loop() { return loop_; }
    rooms::RoomRegistry& rooms() { return rooms_; }
    Stats& stats() { return stats_; }

    // Before the loops start: every shard, this one included, in index order.
    void connect(std::vector<Shard*> all);
    // Every shard (read-only use from other threads: stats snapshots).
    const std::vector<Shard*>& all() const { return shards_; }

    // Delivers to local members now, and to the other shards at the end of this turn.
    // Receivers on one shard see one publisher's messages in publish order.
    void publish(rooms::RoomMessagePtr message);
    // For droppable messages that may wait (presence): published within the hold time,
    // together with whatever else was held, so a burst (a reconnect storm: every member
    // rejoining) reaches each member in one write instead of one write per event. Anything
    // published to the same room meanwhile releases the held ones first: per room, order is
    // kept. Past kMaxHeld held messages, everything is released at once. Hold 0: publish now.
    // When released, a message goes nowhere if its room has grown past `max_members` members
    // on this loop meanwhile (presence in a room that became large is not worth N² frames).
    void publish_soon(rooms::RoomMessagePtr message, std::size_t max_members = SIZE_MAX);

    // Fans out messages that came from elsewhere (another shard, the store thread).
    void deliver_batch(const std::vector<rooms::RoomMessagePtr>& batch);

    using MemberList = std::vector<rooms::MemberInfo>;
    using RoomList = std::vector<std::pair<std::string, std::size_t>>;
    // Asks every shard and calls `done` on this loop with the merged answer. `done` must
    // guard its own captures' lifetime (e.g. hold a weak_ptr to a connection).
    void list_members(std::string room, std::function<void(MemberList)> done);
    void list_rooms(std::function<void(RoomList)> done);

private:
    void send_batches();
    void publish_now(const rooms::RoomMessagePtr& message);
    void release_held(std::string_view room);
    void release_all_held();
    void release(const std::vector<Held>& held);

    net::EventLoop loop_;
    rooms::RoomRegistry rooms_;
    Stats stats_;
    std::vector<Shard*> shards_;
    std::vector<std::vector<rooms::RoomMessagePtr>> outgoing_;  // by target shard index
    bool batches_scheduled_ = false;
    std::chrono::milliseconds hold_;
    HeldMessages held_{kMaxHeld};
    boost::asio::steady_timer hold_timer_;
    bool hold_timer_armed_ = false;
};

}  // namespace confab::shard
