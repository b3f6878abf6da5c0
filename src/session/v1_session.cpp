#include "session/v1_session.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>

#include "core/hex.hpp"
#include "core/log.hpp"
#include "proto/public_member_id.hpp"
#include "proto/server_message.hpp"
#include "rooms/room_name.hpp"
#include "session/history_bridge.hpp"
#include "session/pending.hpp"
#include "session/presence.hpp"
#include "ws/close_code.hpp"
#include "ws/frame_writer.hpp"

namespace confab::session {

namespace {
// A session id is a bearer credential, and its public member id is shown to everyone: it
// must come from a CSPRNG (a seeded mt19937 could be recovered by hashing candidate seeds
// until one gives an observed member id). 128 bits: "s-" and 32 hex digits. nullopt only if
// the OpenSSL generator fails (not seeded).
std::optional<std::string> new_session_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
    std::string id = "s-";
    append_hex(id, bytes.data(), bytes.size());
    return id;
}
std::optional<std::string_view> view(const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
}
}  // namespace

V1Session::V1Session(net::Connection& conn, const SessionContext& ctx,
                     std::optional<ws::DeflateParams> deflate)
    : WsSession(conn, ctx.config, ctx.shard.stats(), deflate),
      ctx_(ctx),
      v1_seat_(ctx.audience.v1_online, true),
      deflate_seat_(ctx.audience.deflate_online, deflate.has_value()) {}

void V1Session::send_text(const std::string& json, net::Priority priority) {
    if (overflowed_) return;
    if (connection().send(ws::make_frame(ws::Opcode::Text, json), priority) ==
            net::PushResult::Overflow &&
        priority == net::Priority::Normal) {
        slow_consumer("(reply)");
    }
}

void V1Session::send_error(proto::ErrorCode code, std::string message,
                           const std::optional<std::string>& ref) {
    proto::ProtoError e{.code = code, .message = std::move(message), .ref = ref};
    send_text(proto::encode_error(e));
}

void V1Session::on_ws_message(ws::Opcode op, std::string_view payload) {
    if (op != ws::Opcode::Text) {
        return send_error(proto::ErrorCode::BadRequest, "confab.v1 frames are JSON text", {});
    }
    auto parsed = proto::parse_command(payload);
    if (!parsed) return send_text(proto::encode_error(parsed.error()));
    proto::Command& cmd = *parsed;
    if (!hello_done_ && !std::holds_alternative<proto::Hello>(cmd)) {
        return send_error(proto::ErrorCode::NoHello, "send hello first", proto::ref_of(cmd));
    }
    std::visit(
        [this](auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, proto::Hello>) on_hello(c);
            else if constexpr (std::is_same_v<T, proto::Join>) on_join(c);
            else if constexpr (std::is_same_v<T, proto::Leave>) on_leave(c);
            else if constexpr (std::is_same_v<T, proto::Pub>) on_pub(c);
            else if constexpr (std::is_same_v<T, proto::Members>) on_members(c);
            else if constexpr (std::is_same_v<T, proto::Ping>) send_text(proto::encode_pong(view(c.ref)));
        },
        cmd);
}

void V1Session::on_hello(proto::Hello& hello) {
    if (hello_done_) {
        return send_error(proto::ErrorCode::BadRequest, "hello was already sent", hello.ref);
    }
    // A client that brings its session id back keeps its identity, and with it idempotent
    // re-publishing across reconnects. Only the welcome carries the session id; everything
    // that reaches anyone else uses the public member id derived from it.
    std::optional<std::string> session_id = std::move(hello.session);
    if (!session_id) session_id = new_session_id();
    if (!session_id) {
        log::error("v1 {}: no random bytes for a session id", connection_id());
        return send_error(proto::ErrorCode::Internal, "could not make a session id", hello.ref);
    }
    hello_done_ = true;
    nick_ = std::move(hello.nick);
    member_id_ = proto::public_member_id(*session_id);
    send_text(proto::encode_welcome(
        {.session = *session_id,
         .nick = nick_,
         .member = info(),
         .ping_interval_ms = static_cast<std::uint64_t>(config().ping_interval.count()),
         .max_message_size = config().max_message_size}));
}

void V1Session::on_join(proto::Join& join) {
    if (rooms_.contains(join.room)) {
        return send_error(proto::ErrorCode::BadRequest, "already joined " + join.room, join.ref);
    }
    // Join locally first: live messages from now on are buffered until the history (read
    // in store order, after everything committed so far) has been delivered.
    Subscription& sub = rooms_[join.room];
    sub.last_seq = join.since.value_or(0);
    ctx_.shard.rooms().join(join.room, this);

    store::ReadRequest read;
    read.room = join.room;
    read.after_seq = join.since.value_or(0);
    read.epoch = join.epoch;
    read.limit = kMaxReplay;
    read.last_n = join.since ? 0 : join.history;
    auto pending = std::make_unique<PendingRead>();
    pending->loop = &connection().loop();
    pending->conn = connection().weak_from_this();
    pending->on_read = [this, room = join.room, since = join.since, history = join.history,
                        ref = join.ref](store::ReadResult&& r) {
        on_history(room, since, history, ref, std::move(r));
    };
    if (!join.since && join.history == 0) read.limit = 1;  // only epoch and last_seq are needed
    if (auto ok = submit_read(ctx_.history, std::move(read), std::move(pending)); !ok) {
        ctx_.shard.rooms().leave(join.room, this);
        rooms_.erase(join.room);
        return send_error(proto::ErrorCode::Unavailable, "history unavailable: " + ok.error().message, join.ref);
    }
    announce_join(ctx_, join.room, info(), connection_id());
}

void V1Session::on_history(std::string room, std::optional<std::uint64_t> since,
                           std::uint32_t history, std::optional<std::string> ref,
                           store::ReadResult&& r) {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !is_open()) return;  // left meanwhile
    Subscription& sub = it->second;
    if (r.error) {
        ctx_.shard.rooms().leave(room, this);
        rooms_.erase(it);
        // The join was announced: so is the leave, or presence and the webhook would count
        // this member in the room for ever.
        announce_leave(ctx_, room, info(), connection_id(), rooms::LeaveReason::Left);
        return send_error(proto::ErrorCode::Unavailable, "history read failed: " + r.error->message, ref);
    }
    bool recovered = false;
    std::optional<proto::ResumeReason> reason;
    if (!since) {
        reason = proto::ResumeReason::NoSince;
    } else if (!r.epoch_matches) {
        reason = proto::ResumeReason::EpochChanged;
    } else if (!r.complete || r.truncated) {
        reason = proto::ResumeReason::HistoryTrimmed;
    } else {
        recovered = true;
    }
    if (r.last_seq == 0 && !recovered) reason = proto::ResumeReason::Empty;
    send_text(proto::encode_joined({.room = room, .epoch = r.epoch, .last_seq = r.last_seq,
                                    .recovered = recovered, .reason = reason, .ref = view(ref)}));
    // History: encoded for this receiver only (a replay is not a fan-out).
    std::uint64_t last = since && r.epoch_matches ? *since : 0;
    // A plain join (no since, no history) asked for live messages only.
    if (!since && history == 0) r.messages.clear();
    for (auto& stored : r.messages) {
        auto line = chat_line_from_stored(stored.payload);
        if (!line) continue;
        std::optional<std::string> id;
        if (!stored.client_msg_id.empty()) id = stored.client_msg_id;
        send_text(proto::encode_msg({.room = room, .qos = rooms::Qos::Guaranteed, .seq = stored.seq,
                                     .id = view(id), .from_nick = line->nick,
                                     .from_session = line->session, .from_via = line->via,
                                     .ts_ms = stored.ts_ms,
                                     .data = line->data}));
        last = stored.seq;
    }
    // Everything up to last_seq is either replayed or was not asked for (no since): live
    // messages at or below it are duplicates of the history.
    sub.last_seq = std::max(last, r.last_seq);
    if (!recovered && since && r.truncated) sub.last_seq = r.last_seq;
    sub.recovering = false;
    std::deque<rooms::RoomMessagePtr> buffered;
    buffered.swap(sub.buffered);
    for (auto& m : buffered) send_live(sub, m);
}

void V1Session::on_leave(proto::Leave& leave) {
    auto it = rooms_.find(leave.room);
    if (it == rooms_.end()) {
        return send_error(proto::ErrorCode::NotJoined, "not in room " + leave.room, leave.ref);
    }
    ctx_.shard.rooms().leave(leave.room, this);
    rooms_.erase(it);
    announce_leave(ctx_, leave.room, info(), connection_id(), rooms::LeaveReason::Left);
    send_text(proto::encode_left(leave.room, view(leave.ref)));
}

void V1Session::on_pub(proto::Pub& pub) {
    if (!rooms_.contains(pub.room)) {
        return send_error(proto::ErrorCode::NotJoined, "join " + pub.room + " before publishing to it", pub.ref);
    }
    if (rooms::is_server_owned(pub.room)) {
        return send_error(proto::ErrorCode::Forbidden,
                          pub.room + " is written by the server only; subscribe to it", pub.ref);
    }
    ChatMessageSpec spec{.room = pub.room,
                         .line = chat_line_from_v1(nick_, member_id_, std::move(pub.data)),
                         .qos = pub.qos,
                         .client_msg_id = pub.id,
                         .ts_ms = wall_clock_ms(),
                         .sender = connection_id()};
    if (pub.qos == rooms::Qos::Droppable) {
        if (pub.ttl_ms) spec.expires_at_ms = steady_clock_ms() + *pub.ttl_ms;
        ctx_.shard.publish(build_chat_message(ctx_.build(), std::move(spec)));
        return;
    }
    auto pending = std::make_unique<PendingPublish>();
    pending->loop = &connection().loop();
    pending->conn = connection().weak_from_this();
    pending->message = std::move(spec);
    pending->on_stored = [this, ref = pub.ref](const store::AppendResult& r) {
        if (r.error) {
            return send_error(proto::ErrorCode::Unavailable, "not stored: " + r.error->message, ref);
        }
        send_text(proto::encode_ack({.room = r.room, .id = r.client_msg_id, .seq = r.seq,
                                     .duplicate = r.duplicate}));
    };
    // Keyed by the public member id: only the holder of the session id can publish as it.
    auto submitted = submit_publish(ctx_.history, std::move(pending), member_id_, *pub.id);
    if (!submitted) {
        // Backpressure from the store: the client keeps the message and retries (same id).
        send_error(proto::ErrorCode::Unavailable, "history busy: " + submitted.error().message, pub.ref);
    }
}

void V1Session::on_members(proto::Members& members) {
    if (!rooms_.contains(members.room)) {
        return send_error(proto::ErrorCode::NotJoined, "not in room " + members.room, members.ref);
    }
    auto weak = connection().weak_from_this();
    ctx_.shard.list_members(members.room, [this, weak, room = members.room,
                                           ref = members.ref](shard::Shard::MemberList list) {
        auto alive = weak.lock();
        if (!alive || !alive->is_open()) return;
        send_text(proto::encode_members(room, list, view(ref)));
    });
}

void V1Session::deliver(const rooms::RoomMessagePtr& message) {
    if (overflowed_ || !is_open() || !message->v1_frame) return;
    // QoS 0 needs no subscription state: the room's registry on this loop calls us only while
    // we are a member, so the per-receiver lookup by room name is skipped on the hot path.
    if (message->qos == rooms::Qos::Droppable) {
        if (message->expires_at_ms && steady_clock_ms() > message->expires_at_ms) return;
        const FrameRef& frame = pick_frame(message->v1_frame, message->v1_deflated, deflate_params());
        if (send_frame(frame, net::Priority::Droppable) == net::PushResult::Overflow) {
            stats().add(stats().dropped);  // QoS 0 under backpressure: dropped, by contract
        }
        return;
    }
    auto it = rooms_.find(std::string_view(message->room));
    if (it == rooms_.end()) return;
    Subscription& sub = it->second;
    if (sub.recovering) {
        if (sub.buffered.size() >= kMaxRecoveryBuffer) return slow_consumer(message->room);
        sub.buffered.push_back(message);
        return;
    }
    send_live(sub, message);
}

void V1Session::send_live(Subscription& sub, const rooms::RoomMessagePtr& message) {
    if (message->seq <= sub.last_seq) return;  // already replayed from history
    const FrameRef& frame = pick_frame(message->v1_frame, message->v1_deflated, deflate_params());
    if (send_frame(frame) == net::PushResult::Overflow) return slow_consumer(message->room);
    sub.last_seq = message->seq;
}

void V1Session::slow_consumer(std::string_view room) {
    if (overflowed_) return;
    overflowed_ = true;
    stats().add(stats().slow_consumer_closes);
    note_leave_reason(rooms::LeaveReason::SlowConsumer);
    log::info("v1 {} {}: slow consumer ({}): closing with 1013", connection_id(), connection().peer(), room);
    // The client resumes from its last seq: nothing stored is lost.
    close_soon(ws::close_code::kTryAgainLater, "send queue full: reconnect and resume");
}

void V1Session::on_ws_closed() {
    for (auto& [room, sub] : rooms_) {
        ctx_.shard.rooms().leave(room, this);
        announce_leave(ctx_, room, info(), connection_id(), leave_reason());
    }
    rooms_.clear();
}

}  // namespace confab::session
