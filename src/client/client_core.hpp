// The engine behind confab::Client: on its strand it runs the connection attempts, the
// reconnect backoff, the keepalive and the QoS 0 deadlines around one Session; from any
// thread it validates and admits the application's calls and posts them to the strand.
// Every application callback is queued as an event and run, through the CallbackGate, after
// the state change that caused it is complete (so a callback may call back into the client).
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <confab/client.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/admission.hpp"
#include "client/backoff.hpp"
#include "client/callback_gate.hpp"
#include "client/connection.hpp"
#include "client/io_thread.hpp"
#include "client/keepalive.hpp"
#include "client/session.hpp"
#include "client/ws_url.hpp"

namespace confab::client {

class ClientCore final : public std::enable_shared_from_this<ClientCore>,
                         private ConnectionListener {
public:
    // `io_thread` is null when the caller runs `io`.
    ClientCore(boost::asio::io_context& io, std::shared_ptr<IoThread> io_thread, WsUrl url,
               ClientOptions options);
    ~ClientCore() override;

    // Starts the first connection attempt (on the strand).
    void begin();

    // --- any thread (the public API)
    Result<void> join(std::string_view room, RoomHandlers handlers, JoinOptions options);
    Result<void> leave(std::string_view room);
    Result<Publication> publish(std::string_view room, std::string_view data,
                                PublishOptions options);
    Result<std::string> publish(std::string_view room, std::string_view data,
                                PublishOptions options, PublishCallback done);
    void members(std::string_view room, MembersCallback done);
    ConnectionState state() const { return state_.load(std::memory_order_acquire); }
    void close();

private:
    using Clock = std::chrono::steady_clock;

    // ConnectionListener (strand)
    void on_open() override;
    void on_text(std::string_view text) override;
    void on_activity() override;
    void pull(std::vector<OutFrame>& out, std::size_t budget) override;
    void on_written(std::vector<OutFrame>& frames, bool written) override;
    void on_closed(const Error& why, std::uint16_t close_code) override;

    // Admission and encoding on the caller's thread; the entry goes to the strand.
    Result<std::string> submit(std::string_view room, std::string_view data, PublishOptions options,
                               PublishDone done);

    // Strand only.
    void start_attempt();
    void connection_lost(const Error& why, std::uint16_t close_code);
    void drop_connection(Error why);
    void finish_frames(std::vector<OutFrame>& frames, bool written);  // queues completions
    std::string next_id();
    void arm_keepalive();
    void on_keepalive_timer();
    void arm_deadline();
    void after_change();  // kick the writer, re-arm the deadline, run the events
    void notify(StateChange change);
    void set_state(ConnectionState next);  // never leaves Closed
    void run_events();
    void shutdown();

    template <typename F>
    void on_strand(F&& f);

    std::shared_ptr<IoThread> io_thread_;  // first: the io_context outlives every member
    Strand strand_;
    const WsUrl url_;
    const ClientOptions options_;
    const std::string id_prefix_;  // "c-<random>-": ids unique across clients
    std::atomic<std::uint64_t> id_counter_{0};
    std::shared_ptr<CallbackGate> gate_ = std::make_shared<CallbackGate>();
    std::shared_ptr<Admission> qos1_slots_;
    std::shared_ptr<Admission> qos0_slots_;
    std::atomic<ConnectionState> state_{ConnectionState::Connecting};
    std::function<void(const StateChange&)> on_state_;  // gated

    // Rooms the application has joined, checked on its thread so join/leave answer at once.
    std::mutex names_mutex_;
    std::set<std::string, std::less<>> joined_names_;

    // Shared by every call that posts to the strand, exclusive while close() sets closed_.
    std::shared_mutex entry_mutex_;
    std::mutex close_mutex_;
    std::atomic<bool> closed_{false};  // set first thing in close(); checked by every entry
    bool shut_down_ = false;           // guarded by close_mutex_

    // --- strand state
    Session session_;
    Backoff backoff_;
    Keepalive keepalive_;
    std::shared_ptr<Connection> conn_;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer attempt_timer_;  // connect_timeout until welcome
    boost::asio::steady_timer keepalive_timer_;
    boost::asio::steady_timer deadline_timer_;  // QoS 0 expiry, QoS 1 retry
    std::optional<Clock::time_point> deadline_armed_;
    std::uint32_t attempt_ = 0;     // attempts since the last welcome
    std::uint64_t generation_ = 0;  // of the current attempt: stale timers ignore themselves
    bool penalized_ = false;        // the last connection ended by our fault: keep backing off
    bool stopped_ = false;          // shutdown() ran
    std::vector<Session::Event> events_;
    bool running_events_ = false;
};

}  // namespace confab::client
