#include "client/session.hpp"

#include <algorithm>
#include <utility>

namespace confab::client {
namespace {

// A join with `since` must carry an epoch; to learn the current one the probe sends one the
// server never issues, gets `epoch_changed` and the real epoch back, then joins again.
constexpr std::string_view kProbeEpoch = "?";

Error rejected(const wire::ServerError& e) {
    return Error{ErrorCode::Rejected, e.code + ": " + e.message};
}

// Server errors after which the same command may succeed later.
bool is_transient(std::string_view code) {
    return code == "unavailable" || code == "rate_limited" || code == "internal";
}

}  // namespace

Session::Session(std::string nick, std::chrono::milliseconds retry_delay)
    : nick_(std::move(nick)), retry_delay_(retry_delay) {}

// --------------------------------------------------------------------------- the application

Result<void> Session::join(const std::string& room, RoomHandlers handlers, JoinOptions options) {
    auto handlers_ptr = std::make_shared<const RoomHandlers>(std::move(handlers));
    auto [it, created] = rooms_.try_emplace(room);
    Room& r = it->second;
    if (!created && r.handlers) return fail(ErrorCode::InvalidArgument, "already joined " + room);
    r.handlers = std::move(handlers_ptr);
    if (!r.positioned) r.first = options;
    if (created) {
        if (welcomed_) send_join(room, r);
    } else if (r.wire == Wire::Joined && r.handlers->on_joined) {
        // Already a member for publishing: tell the application where the room stands.
        Joined j{room, r.epoch, r.last_seen, false, "no_since"};
        events_.push_back([h = r.handlers, j] { h->on_joined(j); });
    }
    // Otherwise a join or leave is in flight; its reply continues from here.
    return {};
}

Result<void> Session::leave(std::string_view room) {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !it->second.handlers) {
        return fail(ErrorCode::InvalidArgument, "not joined " + std::string(room));
    }
    it->second.handlers.reset();
    leave_if_unneeded(it);
    return {};
}

void Session::publish_qos1(OutboxEntry entry) {
    auto [it, created] = rooms_.try_emplace(entry.room);
    outbox_.push(std::move(entry));
    if (welcomed_ && it->second.wire == Wire::Absent) send_join(it->first, it->second);
}

void Session::publish_qos0(DropEntry entry) {
    auto [it, created] = rooms_.try_emplace(entry.room);
    drops_.push(std::move(entry));
    if (welcomed_ && it->second.wire == Wire::Absent) send_join(it->first, it->second);
}

void Session::members(const std::string& room, MembersCallback done) {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !it->second.handlers) {
        events_.push_back([done = std::move(done), room] {
            done(fail(ErrorCode::InvalidArgument, "join " + room + " first"));
        });
        return;
    }
    if (!welcomed_ || it->second.wire != Wire::Joined) {
        events_.push_back([done = std::move(done), room] {
            done(fail(ErrorCode::NotConnected, "not connected to " + room + " right now"));
        });
        return;
    }
    std::string ref = next_ref();
    control_.push_back(wire::encode_members(room, ref));
    pending_members_.emplace(std::move(ref), std::move(done));
}

// --------------------------------------------------------------------------- the connection

void Session::on_open() {
    welcomed_ = false;
    control_.clear();
    control_.push_back(wire::encode_hello(nick_, session_id_));
}

void Session::on_closed() {
    welcomed_ = false;
    control_.clear();
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        Room& r = it->second;
        const bool was_leaving = r.wire == Wire::Leaving;
        r.wire = Wire::Absent;
        r.ref.clear();
        it = was_leaving && !needed(it->first, r) ? rooms_.erase(it) : std::next(it);
    }
    outbox_.mark_all_unsent();
    for (auto& [ref, done] : pending_members_) {
        events_.push_back([done = std::move(done)] {
            done(fail(ErrorCode::NotConnected, "the connection ended before the reply"));
        });
    }
    pending_members_.clear();
}

Result<Session::Step> Session::on_text(std::string_view text, Clock::time_point now) {
    auto decoded = wire::decode_server_message(text);
    if (!decoded) return tl::unexpected(decoded.error());
    if (auto* w = std::get_if<wire::Welcome>(&*decoded)) return on_welcome(*w);
    if (!welcomed_) {
        return fail(ErrorCode::ProtocolError, "server sent a message before welcome");
    }
    if (auto* j = std::get_if<wire::JoinedReply>(&*decoded)) return on_joined(*j);
    if (auto* e = std::get_if<wire::ServerError>(&*decoded)) return on_error(*e, now);
    if (auto* m = std::get_if<Message>(&*decoded)) {
        on_message(std::move(*m));
    } else if (auto* a = std::get_if<Ack>(&*decoded)) {
        on_ack(*a);
    } else if (auto* l = std::get_if<wire::LeftReply>(&*decoded)) {
        on_left(*l);
    } else if (auto* p = std::get_if<Presence>(&*decoded)) {
        on_presence(std::move(*p));
    } else if (auto* mr = std::get_if<wire::MembersReply>(&*decoded)) {
        on_members(std::move(*mr));
    }
    // pong and unknown types need nothing (forward compatibility).
    return Step::Continue;
}

void Session::collect(std::vector<OutFrame>& out, std::size_t budget, Clock::time_point now) {
    std::size_t used = 0;
    auto fits = [&](std::size_t size) { return out.empty() || used + size <= budget; };
    std::size_t taken = 0;
    for (; taken < control_.size() && fits(control_[taken].size()); ++taken) {
        used += control_[taken].size();
        out.push_back(OutFrame{std::move(control_[taken]), {}});
    }
    control_.erase(control_.begin(), control_.begin() + static_cast<std::ptrdiff_t>(taken));
    if (!welcomed_ || !control_.empty()) return;
    auto joined = [this](const std::string& room) {
        auto it = rooms_.find(room);
        return it != rooms_.end() && it->second.wire == Wire::Joined;
    };
    outbox_.send_unsent(now, joined, [&](const OutboxEntry& e) {
        if (!fits(e.frame.size())) return false;
        used += e.frame.size();
        out.push_back(OutFrame{e.frame, {}});
        return true;
    });
    bool sent_qos0 = false;
    drops_.send_ready(joined, [&](DropEntry&& e) {
        if (!fits(e.frame.size())) return false;
        used += e.frame.size();
        Ack ack{e.room, e.id, Qos::AtMostOnce, 0, false};
        out.push_back(OutFrame{
            std::move(e.frame), [done = std::move(e.done), ack = std::move(ack)](bool written) {
                if (written) return done(ack);
                done(fail(ErrorCode::Dropped, "the connection ended before it was written"));
            }});
        sent_qos0 = true;
        return true;
    });
    // A room joined only to publish QoS 0 is left once its queue is empty.
    if (sent_qos0) {
        for (auto it = rooms_.begin(); it != rooms_.end();) leave_if_unneeded(it++);
    }
}

// --------------------------------------------------------------------------- time and close

void Session::expire(Clock::time_point now) {
    for (DropEntry& e : drops_.expire(now)) {
        complete(std::move(e.done),
                 fail(ErrorCode::Dropped, "QoS 0 message not written within drop_after"));
    }
}

std::optional<Session::Clock::time_point> Session::next_deadline(Clock::time_point now) const {
    auto a = drops_.next_deadline();
    auto b = outbox_.next_retry(now);
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}

void Session::close() {
    for (OutboxEntry& e : outbox_.drain()) {
        complete(std::move(e.done), fail(ErrorCode::Closed, "the client was closed"));
    }
    for (DropEntry& e : drops_.drain()) {
        complete(std::move(e.done), fail(ErrorCode::Closed, "the client was closed"));
    }
    for (auto& [ref, done] : pending_members_) {
        events_.push_back(
            [done = std::move(done)] { done(fail(ErrorCode::Closed, "the client was closed")); });
    }
    pending_members_.clear();
    rooms_.clear();
    control_.clear();
    welcomed_ = false;
}

// --------------------------------------------------------------------------- server messages

Result<Session::Step> Session::on_welcome(const wire::Welcome& w) {
    if (welcomed_) return fail(ErrorCode::ProtocolError, "server sent a second welcome");
    welcomed_ = true;
    session_id_ = w.session;
    member_session_ = w.member.session;
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        if (!needed(it->first, it->second)) {
            it = rooms_.erase(it);
            continue;
        }
        send_join(it->first, it->second);
        ++it;
    }
    return Step::Welcomed;
}

Result<Session::Step> Session::on_joined(const wire::JoinedReply& reply) {
    const Joined& j = reply.joined;
    auto it = rooms_.find(j.room);
    if (it == rooms_.end()) return Step::Continue;
    Room& r = it->second;
    if (r.wire == Wire::Probing) {
        const std::uint64_t since = r.first.since.value_or(0);
        r.positioned = true;
        r.epoch = j.epoch;
        if (j.last_seq > since) {  // messages to replay: join again, now with the epoch
            r.last_seen = since;
            r.wire = Wire::ProbeLeaving;
            r.ref = next_ref();
            control_.push_back(wire::encode_leave(it->first, r.ref));
            return Step::Continue;
        }
        r.last_seen = j.last_seq;  // nothing after `since` is stored
        r.wire = Wire::Joined;
        if (r.handlers && r.handlers->on_joined) {
            Joined told{j.room, j.epoch, j.last_seq, true, ""};
            events_.push_back([h = r.handlers, told] { h->on_joined(told); });
        }
        leave_if_unneeded(it);
        return Step::Continue;
    }
    if (r.wire != Wire::Joining) return Step::Continue;  // stale: a leave is in flight
    if (j.recovered) {
        // Everything after last_seen follows.
    } else if (!r.positioned) {
        // A fresh join: live messages follow, after the last `history` stored ones.
        r.last_seen = j.last_seq - std::min<std::uint64_t>(r.first.history, j.last_seq);
    } else if (j.epoch != r.epoch || j.last_seq == 0) {
        r.last_seen = 0;  // a new epoch numbers from 1 again; the server sends in order
    }
    // Same epoch but not recovered (history_trimmed): keep last_seen and take what the
    // server still replays; the application learns of the gap from on_joined.
    r.positioned = true;
    r.epoch = j.epoch;
    r.wire = Wire::Joined;
    r.ref.clear();
    if (r.handlers && r.handlers->on_joined) {
        events_.push_back([h = r.handlers, j] { h->on_joined(j); });
    }
    leave_if_unneeded(it);
    return Step::Continue;
}

void Session::on_message(Message&& m) {
    auto it = rooms_.find(m.room);
    if (it == rooms_.end() || it->second.wire != Wire::Joined) return;
    Room& r = it->second;
    if (m.qos == Qos::AtLeastOnce) {
        // Exactly once across reconnects: a resumed join may overlap what was seen.
        if (m.seq <= r.last_seen) return;
        r.last_seen = m.seq;
    }
    if (r.handlers && r.handlers->on_message) {
        events_.push_back([h = r.handlers, m = std::move(m)] { h->on_message(m); });
    }
}

void Session::on_ack(const Ack& a) {
    auto entry = outbox_.take(a.room, a.id);
    if (!entry) return;  // an ack for a message completed before (e.g. a duplicate re-send)
    Ack ack = a;
    ack.qos = Qos::AtLeastOnce;
    complete(std::move(entry->done), std::move(ack));
    leave_if_unneeded(rooms_.find(a.room));
}

void Session::on_left(const wire::LeftReply& l) {
    auto it = rooms_.find(l.room);
    if (it == rooms_.end()) return;
    Room& r = it->second;
    if (r.wire == Wire::ProbeLeaving) {
        r.wire = Wire::Absent;
        send_join(it->first, r);  // positioned now: since + the real epoch
        return;
    }
    if (r.wire != Wire::Leaving) return;
    r.wire = Wire::Absent;
    r.ref.clear();
    if (needed(it->first, r)) {
        send_join(it->first, r);  // joined again, or published to, while leaving
    } else {
        rooms_.erase(it);
    }
}

void Session::on_presence(Presence&& p) {
    auto it = rooms_.find(p.room);
    if (it == rooms_.end() || it->second.wire != Wire::Joined) return;
    const auto& h = it->second.handlers;
    if (h && h->on_presence) {
        events_.push_back([h, p = std::move(p)] { h->on_presence(p); });
    }
}

void Session::on_members(wire::MembersReply&& reply) {
    auto it = pending_members_.find(reply.ref);
    if (it == pending_members_.end()) return;
    events_.push_back(
        [done = std::move(it->second), list = std::move(reply.members)] { done(list); });
    pending_members_.erase(it);
}

Result<Session::Step> Session::on_error(const wire::ServerError& e, Clock::time_point now) {
    if (e.ref.empty()) return Step::Continue;  // not about one command: nothing to undo
    if (auto m = pending_members_.find(e.ref); m != pending_members_.end()) {
        events_.push_back(
            [done = std::move(m->second), err = rejected(e)] { done(tl::unexpected(err)); });
        pending_members_.erase(m);
        return Step::Continue;
    }
    for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
        Room& r = it->second;
        if (r.ref != e.ref) continue;
        if (r.wire == Wire::Leaving || r.wire == Wire::ProbeLeaving) {
            // The server no longer has us in the room: as good as left.
            on_left(wire::LeftReply{it->first, e.ref});
            return Step::Continue;
        }
        if (is_transient(e.code)) {
            // e.g. the history store is busy: reconnecting re-joins after a backoff.
            return fail(ErrorCode::Rejected, "join " + it->first + " failed: " + e.code);
        }
        refuse_room(it, e);
        return Step::Continue;
    }
    // A pub carries its id as ref.
    if (is_transient(e.code)) {
        for (const auto& [name, r] : rooms_) outbox_.retry_later(name, e.ref, now + retry_delay_);
        return Step::Continue;
    }
    for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
        if (auto entry = outbox_.take(it->first, e.ref)) {
            complete(std::move(entry->done), tl::unexpected(rejected(e)));
            leave_if_unneeded(it);
            break;
        }
    }
    return Step::Continue;
}

void Session::refuse_room(Rooms::iterator it, const wire::ServerError& e) {
    const Error err = rejected(e);
    for (OutboxEntry& entry : outbox_.take_room(it->first)) {
        complete(std::move(entry.done), tl::unexpected(err));
    }
    DropQueue keep;
    for (DropEntry& entry : drops_.drain()) {
        if (entry.room == it->first) {
            complete(std::move(entry.done), tl::unexpected(err));
        } else {
            keep.push(std::move(entry));
        }
    }
    drops_ = std::move(keep);
    if (const auto& h = it->second.handlers; h && h->on_joined) {
        events_.push_back([h, err] { h->on_joined(tl::unexpected(err)); });
    }
    rooms_.erase(it);
}

// --------------------------------------------------------------------------- helpers

bool Session::needed(const std::string& room, const Room& r) const {
    return r.handlers || outbox_.has_room(room) || drops_.has_room(room);
}

void Session::send_join(const std::string& room, Room& r) {
    wire::JoinCommand cmd{.room = room};
    r.ref = next_ref();
    cmd.ref = r.ref;
    if (r.positioned) {
        cmd.since = r.last_seen;
        cmd.epoch = r.epoch;
        r.wire = Wire::Joining;
    } else if (r.first.since && !r.first.epoch.empty()) {
        r.positioned = true;
        r.epoch = r.first.epoch;
        r.last_seen = *r.first.since;
        cmd.since = r.last_seen;
        cmd.epoch = r.epoch;
        r.wire = Wire::Joining;
    } else if (r.first.since) {
        cmd.since = *r.first.since;
        cmd.epoch = kProbeEpoch;
        r.wire = Wire::Probing;
    } else {
        cmd.history = r.first.history;
        r.wire = Wire::Joining;
    }
    control_.push_back(wire::encode_join(cmd));
}

void Session::send_leave(const std::string& room, Room& r) {
    r.ref = next_ref();
    r.wire = Wire::Leaving;
    control_.push_back(wire::encode_leave(room, r.ref));
}

// A room nobody needs any more (the application left it and nothing waits to be published
// to it) is left on the wire, or forgotten when not on the wire.
void Session::leave_if_unneeded(Rooms::iterator it) {
    if (it == rooms_.end() || needed(it->first, it->second)) return;
    switch (it->second.wire) {
        case Wire::Joined:
            send_leave(it->first, it->second);
            break;
        case Wire::Absent:
            rooms_.erase(it);
            break;
        default:
            break;  // a reply is awaited; on_joined/on_left decide then
    }
}

std::string Session::next_ref() {
    std::string ref(1, '~');  // never a generated message id (those start with "c-")
    ref += std::to_string(++ref_counter_);
    return ref;
}

void Session::complete(PublishDone done, Result<Ack> result) {
    if (!done) return;
    events_.push_back([done = std::move(done), result = std::move(result)] { done(result); });
}

}  // namespace confab::client
