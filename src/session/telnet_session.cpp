#include "session/telnet_session.hpp"

#include <fmt/format.h>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "net/event_loop.hpp"
#include "rooms/room_name.hpp"
#include "session/history_bridge.hpp"
#include "session/pending.hpp"
#include "session/presence.hpp"
#include "session/room_message_builder.hpp"
#include "telnet/chat_format.hpp"

namespace confab::session {
namespace {
constexpr std::string_view kDefaultRoom = "lobby";
constexpr std::string_view kHelp =
    "commands: /nick NAME, /join ROOM, /rooms, /who, /help, /quit (or $exit); "
    "any other line is said to the room";

}  // namespace

TelnetSession::TelnetSession(net::Connection& conn, const SessionContext& ctx)
    : conn_(conn), ctx_(ctx), codec_(ctx.config.max_line_bytes), nick_(fmt::format("guest-{}", conn.id())),
      session_id_(fmt::format("telnet-{}", conn.id())) {}

template <typename Fn>
auto TelnetSession::guarded(Fn fn) {
    return [weak = conn_.weak_from_this(), this, fn = std::move(fn)](auto&&... args) {
        auto alive = weak.lock();
        if (alive && alive->is_open()) fn(std::forward<decltype(args)>(args)...);
    };
}

void TelnetSession::on_start() {
    ctx_.audience.telnet_online.fetch_add(1, std::memory_order_relaxed);
    counted_ = true;
    say(fmt::format("welcome to confab, {}. {}", nick_, kHelp));
    join(std::string(kDefaultRoom));
}

void TelnetSession::on_data(std::span<std::uint8_t> bytes) {
    codec_.feed({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, *this);
    if (std::string replies = codec_.take_replies(); !replies.empty()) {
        conn_.send_control(SharedFrame::copy_of(replies));
    }
}

void TelnetSession::on_line(std::string_view raw) {
    if (!conn_.is_open()) return;
    std::string_view line = trim_blanks(raw);
    if (line.empty()) return;
    if (line == "$exit") return quit("bye");
    if (line.front() == '/') {
        std::string_view rest = line.substr(1);
        std::size_t space = rest.find(' ');
        std::string_view name = rest.substr(0, space);
        std::string_view arg =
            space == std::string_view::npos ? "" : trim_blanks(rest.substr(space + 1));
        return command(name, arg);
    }
    publish(line);
}

void TelnetSession::publish(std::string_view text) {
    if (rooms::is_server_owned(room_)) {
        return say(fmt::format("error: #{} is written by the server only; your line was not sent",
                               room_));
    }
    // Telnet lines are QoS 1: stored, numbered, then fanned out by the history bridge.
    auto pending = std::make_unique<PendingPublish>();
    pending->loop = &conn_.loop();
    pending->conn = conn_.weak_from_this();
    pending->message = {.room = room_,
                        .line = chat_line_from_telnet(nick_, session_id_, text),
                        .qos = rooms::Qos::Guaranteed,
                        .ts_ms = wall_clock_ms(),
                        .sender = conn_.id()};
    pending->on_stored = guarded([this](const store::AppendResult& r) {
        if (r.error) say(fmt::format("error: your line was not stored ({})", r.error->message));
    });
    if (auto ok = submit_publish(ctx_.history, std::move(pending), session_id_, ""); !ok) {
        say("error: the server is busy; your line was not sent, please repeat it");
    }
}

void TelnetSession::on_line_too_long() {
    say(fmt::format("error: line too long (max {} bytes); it was not sent",
                    ctx_.config.max_line_bytes));
}

void TelnetSession::command(std::string_view name, std::string_view arg) {
    if (name == "quit" || name == "exit") return quit("bye");
    if (name == "help") return say(kHelp);
    if (name == "nick") {
        if (!telnet::is_valid_nick(arg)) {
            return say("invalid nick: use 1-32 letters, digits, '-', '_' or '.'");
        }
        nick_ = std::string(arg);
        return say(fmt::format("you are now {}", nick_));
    }
    if (name == "join") {
        if (!rooms::is_valid_room_name(arg)) {
            return say("invalid room name: use 1-128 letters, digits, '.', '_', ':', '-' or '/'");
        }
        return join(std::string(arg));
    }
    if (name == "rooms") {
        return ctx_.shard.list_rooms(guarded([this](shard::Shard::RoomList rooms) {
            std::string text = "rooms:";
            for (std::size_t i = 0; i < rooms.size(); ++i) {
                text += fmt::format("{} {} ({})", i ? "," : "", rooms[i].first, rooms[i].second);
            }
            say(rooms.empty() ? "no rooms" : text);
        }));
    }
    if (name == "who") {
        return ctx_.shard.list_members(room_, guarded([this](shard::Shard::MemberList members) {
            std::vector<std::string> names;
            for (const auto& m : members) names.push_back(rooms::display_name(m));
            say(fmt::format("in #{}: {}", room_, fmt::join(names, ", ")));
        }));
    }
    say(fmt::format("unknown command /{} (try /help)", name.substr(0, 32)));
}

void TelnetSession::join(std::string room) {
    if (!room_.empty()) leave_room(rooms::LeaveReason::Left);
    room_ = std::move(room);
    ctx_.shard.rooms().join(room_, this);
    announce_join(ctx_, room_, info(), conn_.id());
    say(fmt::format("joined #{}", room_));
}

void TelnetSession::leave_room(rooms::LeaveReason why) {
    ctx_.shard.rooms().leave(room_, this);
    announce_leave(ctx_, room_, info(), conn_.id(), why);
    room_.clear();
}

void TelnetSession::say(std::string_view text) {
    conn_.send(SharedFrame::copy_of(fmt::format("* {}\r\n", text)));
}

void TelnetSession::quit(std::string_view farewell) {
    if (!leave_reason_) leave_reason_ = rooms::LeaveReason::Left;
    say(farewell);
    conn_.close_after_flush();
}

void TelnetSession::deliver(const rooms::RoomMessagePtr& message) {
    if (message->sender == conn_.id() || overflowed_ || !conn_.is_open()) return;
    FrameRef line = message->telnet_line;
    if (!line) {
        // Published before this user arrived (the form is rendered only when telnet users are
        // online): render it here, once for this receiver.
        // Without the plain form it is presence, or a message built while nobody in plain
        // rooms could read it: skip.
        if (!message->ws_frame) return;
        line = SharedFrame::copy_of(telnet::render_for_telnet(message->payload(), message->is_text));
    }
    if (conn_.send(std::move(line)) == net::PushResult::Overflow) {
        overflowed_ = true;
        ctx_.shard.stats().add(ctx_.shard.stats().slow_consumer_closes);
        if (!leave_reason_) leave_reason_ = rooms::LeaveReason::SlowConsumer;
        log::info("telnet {} {}: slow consumer: closing", conn_.id(), conn_.peer());
        conn_.loop().at_end_of_turn(guarded([this] {
            conn_.send_control(SharedFrame::copy_of("* too slow to keep up: disconnecting\r\n"));
            conn_.close_after_flush();
        }));
    }
}

void TelnetSession::on_shutdown() {
    if (!leave_reason_) leave_reason_ = rooms::LeaveReason::Shutdown;
    conn_.send_control(SharedFrame::copy_of("* server shutting down, goodbye\r\n"));
    conn_.close_after_flush();
}

void TelnetSession::on_closed() {
    if (!room_.empty()) leave_room(leave_reason_.value_or(rooms::LeaveReason::Closed));
    if (counted_) ctx_.audience.telnet_online.fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
}

}  // namespace confab::session
