#include "client/client_core.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>
#include <future>
#include <random>

#include "client/publication_state.hpp"
#include "client/v1_codec.hpp"
#include "rooms/room_name.hpp"
#include "ws/close_code.hpp"

namespace confab::client {

namespace asio = boost::asio;

namespace {

std::string random_prefix() {
    std::random_device rd;
    char buf[24];
    std::snprintf(buf, sizeof buf, "c-%08x-", static_cast<unsigned>(rd()));
    return buf;
}

std::uint64_t random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

std::string ms_text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

// Close codes that mean "this client did something wrong" (docs/protocol.md, Close codes):
// reconnecting at full speed would only repeat it, so the backoff keeps growing.
bool is_our_fault(std::uint16_t close_code) {
    namespace cc = ws::close_code;
    return close_code == cc::kProtocolError || close_code == cc::kUnsupportedData ||
           close_code == cc::kInvalidPayload || close_code == cc::kPolicyViolation ||
           close_code == cc::kMessageTooBig || close_code == cc::kMandatoryExtension;
}

tl::unexpected<Error> closed_error() {
    return fail(ErrorCode::Closed, "the client is closed");
}

}  // namespace

ClientCore::ClientCore(asio::io_context& io, std::shared_ptr<IoThread> io_thread, WsUrl url,
                       ClientOptions options)
    : io_thread_(std::move(io_thread)),
      strand_(asio::make_strand(io)),
      url_(std::move(url)),
      options_(std::move(options)),
      id_prefix_(random_prefix()),
      qos1_slots_(std::make_shared<Admission>(options_.outbox_limit)),
      qos0_slots_(std::make_shared<Admission>(options_.qos0_queue_limit)),
      on_state_(gated(gate_, options_.on_state)),
      session_(options_.nick),
      backoff_(BackoffPolicy{options_.reconnect.initial_delay, options_.reconnect.multiplier,
                             options_.reconnect.max_delay},
               random_seed()),
      keepalive_(options_.ping_interval, options_.pong_timeout),
      reconnect_timer_(strand_),
      attempt_timer_(strand_),
      keepalive_timer_(strand_),
      deadline_timer_(strand_) {}

ClientCore::~ClientCore() = default;

template <typename F>
void ClientCore::on_strand(F&& f) {
    asio::post(strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable {
        if (self->stopped_) return;
        f(*self);
        self->after_change();
    });
}

void ClientCore::begin() {
    on_strand([](ClientCore& c) { c.start_attempt(); });
}

// --------------------------------------------------------------------------- public API

Result<void> ClientCore::join(std::string_view room, RoomHandlers handlers, JoinOptions options) {
    if (!rooms::is_valid_room_name(room)) {
        return fail(ErrorCode::InvalidArgument,
                    "invalid room name '" + std::string(room) +
                        "' (1-128 of A-Z a-z 0-9 . _ : - /, not starting or ending with /)");
    }
    if (!options.epoch.empty() && (!options.since || !wire::is_valid_id(options.epoch))) {
        return fail(ErrorCode::InvalidArgument,
                    "epoch needs since and must be 1-64 printable ASCII characters");
    }
    std::shared_lock entry(entry_mutex_);
    if (closed_.load()) return closed_error();
    {
        std::lock_guard lock(names_mutex_);
        if (!joined_names_.emplace(room).second) {
            return fail(ErrorCode::InvalidArgument, "already joined " + std::string(room));
        }
    }
    RoomHandlers safe{gated(gate_, std::move(handlers.on_message)),
                      gated(gate_, std::move(handlers.on_joined)),
                      gated(gate_, std::move(handlers.on_presence))};
    on_strand([room = std::string(room), safe = std::move(safe),
               options = std::move(options)](ClientCore& c) mutable {
        (void)c.session_.join(room, std::move(safe), std::move(options));
    });
    return {};
}

Result<void> ClientCore::leave(std::string_view room) {
    std::shared_lock entry(entry_mutex_);
    if (closed_.load()) return closed_error();
    {
        std::lock_guard lock(names_mutex_);
        auto it = joined_names_.find(room);
        if (it == joined_names_.end()) {
            return fail(ErrorCode::InvalidArgument, "not joined " + std::string(room));
        }
        joined_names_.erase(it);
    }
    on_strand([room = std::string(room)](ClientCore& c) { (void)c.session_.leave(room); });
    return {};
}

Result<Publication> ClientCore::publish(std::string_view room, std::string_view data,
                                        PublishOptions options) {
    if (options.id.empty()) options.id = next_id();
    auto state = std::make_shared<PublicationState>(options.id);
    auto id = submit(room, data, std::move(options),
                     [state](const Result<Ack>& r) { state->complete(r); });
    if (!id) return tl::unexpected(id.error());
    return Publication(std::move(state));
}

Result<std::string> ClientCore::publish(std::string_view room, std::string_view data,
                                        PublishOptions options, PublishCallback done) {
    auto safe = gated(gate_, std::move(done));
    return submit(room, data, std::move(options), [safe](const Result<Ack>& r) {
        if (safe) safe(r);
    });
}

std::string ClientCore::next_id() {
    return id_prefix_ + std::to_string(id_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
}

Result<std::string> ClientCore::submit(std::string_view room, std::string_view data,
                                       PublishOptions options, PublishDone done) {
    if (!rooms::is_valid_room_name(room)) {
        return fail(ErrorCode::InvalidArgument, "invalid room name '" + std::string(room) + "'");
    }
    if (options.id.empty()) {
        options.id = next_id();
    } else if (!wire::is_valid_id(options.id)) {
        return fail(ErrorCode::InvalidArgument, "id must be 1-64 printable ASCII characters");
    }
    auto compact = wire::compact_data(data);
    if (!compact) return tl::unexpected(compact.error());
    const bool qos1 = options.qos == Qos::AtLeastOnce;
    std::shared_lock entry(entry_mutex_);
    if (closed_.load()) return closed_error();
    std::shared_ptr<Admission> slots = qos1 ? qos1_slots_ : qos0_slots_;
    if (!slots->try_acquire()) {
        return fail(ErrorCode::OutboxFull, std::string(qos1 ? "QoS 1 outbox" : "QoS 0 queue") +
                                               " is full (" + std::to_string(slots->limit()) +
                                               " messages wait); retry later");
    }
    // Every accepted publication completes exactly once: that returns its slot.
    PublishDone finish = [slots, done = std::move(done)](const Result<Ack>& r) {
        slots->release();
        done(r);
    };
    std::string frame = wire::encode_pub(room, *compact, options.qos, options.id);
    std::string id = options.id;
    // Posted under entry_mutex_, so before close() posts shutdown: every accepted entry
    // either reaches the session (which completes it) or, after an inline shutdown, is
    // completed here as Closed. Either way exactly once.
    if (qos1) {
        OutboxEntry e{std::string(room), id, std::move(frame), std::move(finish)};
        asio::post(strand_, [self = shared_from_this(), e = std::move(e)]() mutable {
            if (self->stopped_) return e.done(closed_error());
            self->session_.publish_qos1(std::move(e));
            self->after_change();
        });
    } else {
        DropEntry e{std::string(room), id, std::move(frame), std::move(finish),
                    Clock::now() + options_.drop_after};
        asio::post(strand_, [self = shared_from_this(), e = std::move(e)]() mutable {
            if (self->stopped_) return e.done(closed_error());
            self->session_.publish_qos0(std::move(e));
            self->after_change();
        });
    }
    return id;
}

void ClientCore::members(std::string_view room, MembersCallback done) {
    auto safe = gated(gate_, std::move(done));
    std::shared_lock entry(entry_mutex_);
    if (closed_.load()) return;
    on_strand([room = std::string(room), safe = std::move(safe)](ClientCore& c) mutable {
        c.session_.members(room, std::move(safe));
    });
}

// --------------------------------------------------------------------------- connection

void ClientCore::start_attempt() {
    if (stopped_) return;
    ++attempt_;
    ++generation_;
    set_state(ConnectionState::Connecting);
    notify(StateChange{.state = ConnectionState::Connecting, .attempt = attempt_});
    ConnectionListener& listener = *this;  // a private base: convert here, inside
    conn_ = std::make_shared<Connection>(strand_, listener, options_.max_message_size);
    conn_->start(url_);
    attempt_timer_.expires_after(options_.connect_timeout);
    attempt_timer_.async_wait(
        [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
            if (ec || self->stopped_ || !self->conn_ || self->generation_ != generation ||
                self->session_.welcomed()) {
                return;
            }
            self->drop_connection(
                Error{ErrorCode::Timeout, "no welcome from " + self->url_.host_header + " within " +
                                              ms_text(self->options_.connect_timeout)});
            self->after_change();
        });
}

void ClientCore::on_open() {
    session_.on_open();
    keepalive_.start(Clock::now());
    arm_keepalive();
    after_change();
}

void ClientCore::on_text(std::string_view text) {
    auto step = session_.on_text(text, Clock::now());
    if (!step) {
        drop_connection(step.error());
    } else if (*step == Session::Step::Welcomed) {
        attempt_timer_.cancel();
        if (!penalized_) backoff_.reset();
        penalized_ = false;
        attempt_ = 0;
        set_state(ConnectionState::Connected);
        notify(StateChange{.state = ConnectionState::Connected,
                           .session = session_.session_id(),
                           .member_session = session_.member_session()});
    }
    after_change();
}

// close() stores Closed from any thread before the strand runs shutdown(); a connection step
// already queued on the strand (a welcome, a drop) must not bring the state back from it.
void ClientCore::set_state(ConnectionState next) {
    ConnectionState current = state_.load(std::memory_order_acquire);
    while (current != ConnectionState::Closed &&
           !state_.compare_exchange_weak(current, next, std::memory_order_acq_rel)) {
    }
}

void ClientCore::on_activity() {
    keepalive_.on_received(Clock::now());
}

void ClientCore::pull(std::vector<OutFrame>& out, std::size_t budget) {
    session_.collect(out, budget, Clock::now());
}

void ClientCore::on_written(std::vector<OutFrame>& frames, bool written) {
    finish_frames(frames, written);
    // From the connection's write handler (its writing_ is already clear, so the kick in
    // after_change may start the next write).
    if (written) after_change();
}

void ClientCore::on_closed(const Error& why, std::uint16_t close_code) {
    conn_.reset();
    if (is_our_fault(close_code)) penalized_ = true;
    connection_lost(why, close_code);
    after_change();
}

void ClientCore::drop_connection(Error why) {
    if (conn_) {
        std::vector<OutFrame> unfinished = conn_->abort();
        finish_frames(unfinished, false);
        conn_.reset();
    }
    if (why.code == ErrorCode::ProtocolError) penalized_ = true;
    connection_lost(why, ws::close_code::kAbnormal);
}

void ClientCore::finish_frames(std::vector<OutFrame>& frames, bool written) {
    for (OutFrame& f : frames) {
        if (f.written) events_.push_back([w = std::move(f.written), written] { w(written); });
    }
}

void ClientCore::connection_lost(const Error& why, std::uint16_t) {
    if (stopped_) return;
    session_.on_closed();
    attempt_timer_.cancel();
    keepalive_timer_.cancel();
    const auto delay = backoff_.next();
    set_state(ConnectionState::Disconnected);
    notify(StateChange{.state = ConnectionState::Disconnected, .reason = why, .retry_in = delay});
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped_) return;
        self->start_attempt();
        self->after_change();
    });
}

// --------------------------------------------------------------------------- timers

void ClientCore::arm_keepalive() {
    if (stopped_ || !conn_) return;
    keepalive_timer_.expires_at(keepalive_.next_deadline());
    keepalive_timer_.async_wait(
        [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
            if (ec || self->stopped_ || !self->conn_ || self->generation_ != generation) return;
            self->on_keepalive_timer();
            self->after_change();
        });
}

void ClientCore::on_keepalive_timer() {
    switch (keepalive_.poll(Clock::now())) {
        case Keepalive::Action::SendPing:
            conn_->ping();
            break;
        case Keepalive::Action::Dead:
            return drop_connection(Error{
                ErrorCode::Timeout, "no answer to a ping within " + ms_text(options_.pong_timeout) +
                                        ": the server stopped responding"});
        case Keepalive::Action::Wait:
            break;
    }
    arm_keepalive();
}

void ClientCore::arm_deadline() {
    if (stopped_) return;
    const auto now = Clock::now();
    const auto next = session_.next_deadline(now);
    if (!next || (deadline_armed_ && *deadline_armed_ <= *next)) return;
    deadline_armed_ = *next;
    deadline_timer_.expires_at(*next);
    deadline_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted || self->stopped_) return;
        self->deadline_armed_.reset();
        self->session_.expire(Clock::now());
        self->after_change();
    });
}

// --------------------------------------------------------------------------- events

void ClientCore::after_change() {
    if (stopped_) return run_events();
    if (conn_) conn_->kick();
    arm_deadline();
    for (auto& e : session_.take_events()) events_.push_back(std::move(e));
    run_events();
}

void ClientCore::notify(StateChange change) {
    if (!on_state_) return;
    events_.push_back([f = on_state_, change = std::move(change)] { f(change); });
}

void ClientCore::run_events() {
    if (running_events_) return;  // the outer loop picks up what a callback added
    running_events_ = true;
    while (!events_.empty()) {
        std::vector<Session::Event> batch = std::exchange(events_, {});
        for (auto& e : batch) e();  // application callbacks are gated inside
        for (auto& e : session_.take_events()) events_.push_back(std::move(e));
    }
    running_events_ = false;
}

// --------------------------------------------------------------------------- close

void ClientCore::shutdown() {
    if (stopped_) return;
    stopped_ = true;
    reconnect_timer_.cancel();
    attempt_timer_.cancel();
    keepalive_timer_.cancel();
    deadline_timer_.cancel();
    if (conn_) {
        std::vector<OutFrame> unfinished = conn_->abort();
        finish_frames(unfinished, false);
        conn_.reset();
    }
    session_.close();
    for (auto& e : session_.take_events()) events_.push_back(std::move(e));
    run_events();
}

void ClientCore::close() {
    {
        // Waits for publish/join calls that are posting: their posts precede shutdown's.
        std::unique_lock entry(entry_mutex_);
        closed_.store(true);
    }
    gate_->close();  // first, and outside close_mutex_: a callback may be calling close()
    std::lock_guard lock(close_mutex_);
    if (!shut_down_) {
        shut_down_ = true;
        state_.store(ConnectionState::Closed);
        if (strand_.running_in_this_thread()) {
            shutdown();
        } else if (io_thread_ || strand_.get_inner_executor().running_in_this_thread()) {
            // Own thread: joined below, after it ran shutdown. A thread of the caller's
            // io_context outside our strand must not wait for the strand (it may be the only
            // thread that runs it): the gate already keeps callbacks out, and the socket
            // closes as soon as the posted shutdown runs.
            asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
        } else {
            std::promise<void> done;
            asio::post(strand_, [self = shared_from_this(), &done] {
                self->shutdown();
                done.set_value();
            });
            done.get_future().wait();
        }
    }
    if (io_thread_) io_thread_->stop_and_join();
}

}  // namespace confab::client
