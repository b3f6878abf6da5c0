// One client's confab.v1 state across connections (docs/protocol.md): hello with the same
// session id, the rooms to (re)join and where each stands (epoch, last seq seen), the QoS 1
// outbox and the QoS 0 queue, pending replies. No I/O: the connection feeds it text and pulls
// frames from it; the callbacks it produces are returned as events and run by the caller
// after the session's method has returned (so a callback may re-enter the client).
// One client's strand only.
#pragma once

#include <chrono>
#include <confab/client.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/drop_queue.hpp"
#include "client/outbox.hpp"
#include "client/v1_codec.hpp"

namespace confab::client {

// A text frame to write. `written` (QoS 0 only) is told whether it reached the socket.
struct OutFrame {
    std::string text;
    std::function<void(bool written)> written;
};

class Session {
public:
    using Clock = std::chrono::steady_clock;
    using Event = std::function<void()>;

    // `retry_delay`: how long a QoS 1 message the server could not store (`unavailable`,
    // `rate_limited`) waits before it is sent again on the same connection.
    explicit Session(std::string nick,
                     std::chrono::milliseconds retry_delay = std::chrono::milliseconds(500));

    // --- the application (names and data already validated by the caller)
    // InvalidArgument when the application has already joined `room`.
    Result<void> join(const std::string& room, RoomHandlers handlers, JoinOptions options);
    // InvalidArgument when the application has not joined `room`.
    Result<void> leave(std::string_view room);
    void publish_qos1(OutboxEntry entry);
    void publish_qos0(DropEntry entry);
    void members(const std::string& room, MembersCallback done);

    // --- the connection
    void on_open();  // a new connection is open: hello goes first
    enum class Step { Continue, Welcomed };
    // One text message from the server. An error means the connection must be dropped
    // (the server broke the protocol, or a join failed for a transient reason).
    Result<Step> on_text(std::string_view text, Clock::time_point now);
    void on_closed();  // the connection ended; everything unacked will be sent again
    // Appends the frames to write now while their size stays under `budget` bytes (at
    // least one if any): hello/join/leave/members first, then once welcomed, QoS 1 not yet
    // sent on this connection, then QoS 0, each only for rooms joined on this connection.
    void collect(std::vector<OutFrame>& out, std::size_t budget, Clock::time_point now);

    // --- time
    void expire(Clock::time_point now);  // QoS 0 past its deadline → Dropped
    std::optional<Clock::time_point> next_deadline(Clock::time_point now) const;

    // Completes everything pending with Closed and forgets the rooms.
    void close();

    // The callbacks produced so far, in order; the caller runs them.
    std::vector<Event> take_events() { return std::exchange(events_, {}); }

    bool welcomed() const { return welcomed_; }
    const std::string& session_id() const { return session_id_; }
    // The public member id from the last welcome ("" if the server sent none).
    const std::string& member_session() const { return member_session_; }
    std::size_t outbox_size() const { return outbox_.size(); }

private:
    enum class Wire : std::uint8_t {
        Absent,        // not a member on this connection
        Joining,       // join sent, waiting for joined
        Probing,       // join sent only to learn the epoch (since without epoch)
        ProbeLeaving,  // leave sent after the probe; the real join follows `left`
        Joined,
        Leaving,  // leave sent, waiting for left
    };
    struct Room {
        std::shared_ptr<const RoomHandlers> handlers;  // null: the application has not joined
        JoinOptions first;        // the application's options, until the position is known
        bool positioned = false;  // epoch + last_seen are the resume point
        std::string epoch;
        std::uint64_t last_seen = 0;  // highest QoS 1 seq delivered (or skipped on purpose)
        Wire wire = Wire::Absent;
        std::string ref;  // of the join/leave in flight
    };
    using Rooms = std::map<std::string, Room, std::less<>>;

    Result<Step> on_welcome(const wire::Welcome& w);
    Result<Step> on_joined(const wire::JoinedReply& r);
    void on_message(Message&& m);
    void on_ack(const Ack& a);
    void on_left(const wire::LeftReply& l);
    void on_presence(Presence&& p);
    void on_members(wire::MembersReply&& r);
    Result<Step> on_error(const wire::ServerError& e, Clock::time_point now);
    void refuse_room(Rooms::iterator it, const wire::ServerError& e);

    bool needed(const std::string& room, const Room& r) const;
    void send_join(const std::string& room, Room& r);
    void send_leave(const std::string& room, Room& r);
    void leave_if_unneeded(Rooms::iterator it);
    std::string next_ref();
    void complete(PublishDone done, Result<Ack> result);

    std::string nick_;
    std::chrono::milliseconds retry_delay_;
    std::string session_id_;      // from the first welcome; sent in every later hello (secret)
    std::string member_session_;  // welcome.member.session: how others see us
    bool welcomed_ = false;       // on the current connection
    Rooms rooms_;
    Outbox outbox_;
    DropQueue drops_;
    std::vector<std::string> control_;  // hello, join, leave, members: written first
    std::map<std::string, MembersCallback, std::less<>> pending_members_;  // by ref
    std::uint64_t ref_counter_ = 0;
    std::vector<Event> events_;
};

}  // namespace confab::client
