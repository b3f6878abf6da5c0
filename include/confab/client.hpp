// confab::Client: a resilient confab.v1 client (docs/protocol.md) over Boost.Asio. It keeps
// one WebSocket connection to ws://host:port/ws alive (reconnect with backoff, keepalive),
// re-joins rooms where the application left off, and re-sends unacknowledged QoS 1
// messages, so the application sees every QoS 1 message of a room exactly once, in order.
//
// Threads: every method may be called from any thread. Callbacks run on the client's I/O
// thread (or on the caller's io_context), one at a time, never after close() has returned.
// A callback must not block on the client (e.g. Publication::wait); it may call any method.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <confab/error.hpp>
#include <confab/message.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace confab {

namespace client {
class ClientCore;
struct PublicationState;
}  // namespace client

inline namespace client_v1 {

enum class ConnectionState : std::uint8_t {
    Connecting,    // an attempt is under way (TCP, WebSocket handshake, hello)
    Connected,     // welcomed by the server; rooms are being (re)joined
    Disconnected,  // the attempt failed or the connection ended; a retry is scheduled
    Closed,        // close() was called; terminal
};

std::string_view to_string(ConnectionState state);

struct StateChange {
    ConnectionState state;
    std::optional<Error> reason;            // Disconnected: why
    std::chrono::milliseconds retry_in{0};  // Disconnected: delay before the next attempt
    std::uint32_t attempt = 0;  // Connecting: attempts since the last Connected (1 = first)
    // Connected: the session id (kept across reconnects). A secret: whoever has it can
    // connect as this client, so do not show or log it.
    std::string session;
    // Connected: this client's public member id, what everyone (this client included) sees
    // in Message::from.session, Presence::member.session and members(). Compare
    // `message.from.session == member_session` to recognise your own messages. The same for
    // as long as the session is; empty if the server is older than the member id.
    std::string member_session;
};

// Delay before reconnect attempt n (n = 0 after a drop): a uniformly random value in
// [0, min(max_delay, initial_delay * multiplier^n)] ("full jitter"), so a crowd of clients
// does not come back in lockstep after a server restart.
struct ReconnectPolicy {
    std::chrono::milliseconds initial_delay{100};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{10'000};
};

struct ClientOptions {
    std::string nick = "confab";  // 1-32 of A-Z a-z 0-9 . _ -
    ReconnectPolicy reconnect{};
    // TCP connect + WebSocket handshake + the server's welcome must finish within this.
    std::chrono::milliseconds connect_timeout{5'000};
    // Keepalive: after ping_interval without a byte from the server, send a WebSocket ping;
    // nothing back within pong_timeout means a zombie connection: close it and reconnect.
    std::chrono::milliseconds ping_interval{10'000};
    std::chrono::milliseconds pong_timeout{5'000};
    // A QoS 0 message not written to the socket within this is dropped (the caller is told).
    std::chrono::milliseconds drop_after{50};
    std::size_t outbox_limit = 1'000;         // QoS 1 messages accepted and not yet acked
    std::size_t qos0_queue_limit = 1'000;     // QoS 0 messages waiting to be written
    std::size_t max_message_size = 8u << 20;  // largest frame accepted from the server
    // Connection state changes, in order. Optional.
    std::function<void(const StateChange&)> on_state;
};

// What a room delivers. Every member is optional.
struct RoomHandlers {
    std::function<void(const Message&)> on_message;
    // After every (re)join: where the room stands (recovered=false: messages may be missing,
    // e.g. epoch_changed). An error means the server refused the room; it is then dropped.
    std::function<void(const Result<Joined>&)> on_joined;
    std::function<void(const Presence&)> on_presence;
};

struct JoinOptions {
    // Resume after this seq: deliver every stored message with a greater seq. With an empty
    // epoch, the current epoch of the room is used.
    std::optional<std::uint64_t> since;
    std::string epoch;
    std::uint32_t history = 0;  // without `since`: first deliver the last N stored messages
};

struct PublishOptions {
    Qos qos = Qos::AtLeastOnce;
    std::string id;  // 1-64 printable ASCII; empty: the client makes a unique one
};

using PublishCallback = std::function<void(const Result<Ack>&)>;
using MembersCallback = std::function<void(const Result<std::vector<Member>>&)>;

// The outcome of one accepted publish, future-like. Completes exactly once: QoS 1 with the
// ack (seq), QoS 0 when written, or with an error (Dropped, Rejected, Closed, TooLarge).
class Publication {
public:
    const std::string& id() const;
    bool ready() const;
    // Blocks until complete. Never call it from a callback of the same client.
    Result<Ack> wait() const;
    // nullopt when not complete within `timeout`.
    std::optional<Result<Ack>> wait_for(std::chrono::milliseconds timeout) const;

private:
    friend class client::ClientCore;
    explicit Publication(std::shared_ptr<client::PublicationState> state);
    std::shared_ptr<client::PublicationState> state_;
};

class Client {
public:
    // Starts a client with its own I/O thread and begins connecting at once. Fails only for
    // an invalid URL (ws://host[:port][/path]; the path defaults to /ws) or invalid options;
    // an unreachable server is retried, never an error here.
    static Result<Client> create(std::string_view url, ClientOptions options = {});
    // The same on the caller's io_context: no thread is started; the caller runs `io`.
    // close() from another thread then waits until `io` has run the teardown (so `io` must
    // be running); from a thread running `io` it does not wait for the socket to close.
    static Result<Client> create(boost::asio::io_context& io, std::string_view url,
                                 ClientOptions options = {});

    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client();  // close()

    // Subscribes to `room` (allowed before the first connection). Errors: InvalidArgument
    // (bad name, already joined), Closed. The room is re-joined after every reconnect from
    // the last seq the application saw.
    Result<void> join(std::string_view room, RoomHandlers handlers, JoinOptions options = {});
    // Stops delivery for `room`. Errors: InvalidArgument (not joined), Closed.
    Result<void> leave(std::string_view room);

    // Publishes `data_json` (one JSON value, at most 64 KiB compact) to `room`. Publishing
    // to a room the client has not joined joins it silently (confab.v1 requires membership);
    // its messages are not delivered. Errors now: InvalidArgument, TooLarge, OutboxFull
    // (QoS 1: outbox_limit messages await acks; QoS 0: the queue is full), Closed.
    // QoS 1 is kept until acked and re-sent with the same id after a reconnect.
    // QoS 0 is not ordered relative to QoS 1.
    Result<Publication> publish(std::string_view room, std::string_view data_json,
                                PublishOptions options = {});
    // The same with a callback, which runs once on completion (never when this returns an
    // error). Returns the message id.
    Result<std::string> publish(std::string_view room, std::string_view data_json,
                                PublishOptions options, PublishCallback done);

    // The members of a joined room; NotConnected when offline. `done` runs once.
    void members(std::string_view room, MembersCallback done);

    ConnectionState state() const;

    // Stops everything: pending publications complete with Closed (callbacks of the callback
    // form are not run), no callback runs after this returns, no thread or socket is left.
    // Idempotent. From inside a callback it stops at once; the I/O thread then ends as soon
    // as the callback returns and is joined by the destructor.
    void close();

private:
    static Result<Client> make(boost::asio::io_context* io, std::string_view url,
                               ClientOptions options);
    explicit Client(std::shared_ptr<client::ClientCore> core);
    std::shared_ptr<client::ClientCore> core_;
};

}  // namespace client_v1
}  // namespace confab
