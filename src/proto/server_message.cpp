#include "proto/server_message.hpp"

#include <fmt/format.h>

#include <iterator>

#include "proto/json_writer.hpp"

namespace confab::proto {

namespace {

// Appends `,"key":"value"` (`key` is a trusted literal; `value` is escaped).
void add_string(std::string& out, std::string_view key, std::string_view value) {
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}

void add_uint(std::string& out, std::string_view key, std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":{}", key, value);
}

void add_bool(std::string& out, std::string_view key, bool value) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":{}", key, value ? "true" : "false");
}

void add_ref(std::string& out, const std::optional<std::string_view>& ref) {
    if (ref) add_string(out, "ref", *ref);
}

// {"nick":..,"session":..,"via":..}
void append_member(std::string& out, const rooms::MemberInfo& member) {
    out += "{\"nick\":";
    append_json_string(out, member.nick);
    add_string(out, "session", member.session);
    add_string(out, "via", member.via);
    out += '}';
}

// Room, id, nick and session are short; the estimate only saves reallocations.
constexpr std::size_t kEnvelopeEstimate = 96;

}  // namespace

std::string_view to_string(ResumeReason reason) {
    switch (reason) {
        case ResumeReason::NoSince:
            return "no_since";
        case ResumeReason::EpochChanged:
            return "epoch_changed";
        case ResumeReason::HistoryTrimmed:
            return "history_trimmed";
        case ResumeReason::Empty:
            return "empty";
    }
    return "no_since";
}

std::string encode_welcome(const Welcome& welcome) {
    std::string out;
    out.reserve(2 * kEnvelopeEstimate + welcome.session.size() + 2 * welcome.nick.size());
    out += "{\"type\":\"welcome\"";
    add_string(out, "session", welcome.session);
    add_string(out, "nick", welcome.nick);
    out += ",\"member\":";
    append_member(out, welcome.member);
    add_string(out, "server", kServerName);
    add_uint(out, "ping_interval_ms", welcome.ping_interval_ms);
    add_uint(out, "max_message_size", welcome.max_message_size);
    out += '}';
    return out;
}

std::string encode_joined(const Joined& joined) {
    std::string out;
    out.reserve(kEnvelopeEstimate + joined.room.size() + joined.epoch.size());
    out += "{\"type\":\"joined\"";
    add_string(out, "room", joined.room);
    add_string(out, "epoch", joined.epoch);
    add_uint(out, "last_seq", joined.last_seq);
    add_bool(out, "recovered", joined.recovered);
    if (joined.reason) add_string(out, "reason", to_string(*joined.reason));
    add_ref(out, joined.ref);
    out += '}';
    return out;
}

std::string encode_msg(const Msg& msg) {
    std::string out;
    out.reserve(kEnvelopeEstimate + msg.room.size() + msg.id.value_or("").size() +
                msg.from_nick.size() + msg.from_session.size() + msg.data.size());
    out += "{\"type\":\"msg\"";
    add_string(out, "room", msg.room);
    bool guaranteed = msg.qos == rooms::Qos::Guaranteed;
    if (guaranteed) add_uint(out, "seq", msg.seq);
    add_uint(out, "qos", guaranteed ? 1 : 0);
    if (msg.id) add_string(out, "id", *msg.id);
    out += ",\"from\":{\"nick\":";
    append_json_string(out, msg.from_nick);
    add_string(out, "session", msg.from_session);
    add_string(out, "via", msg.from_via);
    out += '}';
    fmt::format_to(std::back_inserter(out), ",\"ts\":{}", msg.ts_ms);
    out += ",\"data\":";
    out += msg.data;  // already compact, valid JSON (Pub::data): spliced, not re-encoded
    out += '}';
    return out;
}

std::string encode_ack(const Ack& ack) {
    std::string out;
    out.reserve(kEnvelopeEstimate + ack.room.size() + ack.id.size());
    out += "{\"type\":\"ack\"";
    add_string(out, "room", ack.room);
    add_string(out, "id", ack.id);
    add_uint(out, "seq", ack.seq);
    add_bool(out, "duplicate", ack.duplicate);
    out += '}';
    return out;
}

std::string encode_left(std::string_view room, std::optional<std::string_view> ref) {
    std::string out = "{\"type\":\"left\"";
    add_string(out, "room", room);
    add_ref(out, ref);
    out += '}';
    return out;
}

std::string encode_presence(std::string_view room, PresenceEvent event,
                            const rooms::MemberInfo& member) {
    std::string out = "{\"type\":\"presence\"";
    add_string(out, "room", room);
    add_string(out, "event", event == PresenceEvent::Join ? "join" : "leave");
    out += ",\"member\":";
    append_member(out, member);
    out += '}';
    return out;
}

std::string encode_members(std::string_view room, std::span<const rooms::MemberInfo> members,
                           std::optional<std::string_view> ref) {
    std::string out;
    out.reserve(kEnvelopeEstimate + room.size() + members.size() * 64);
    out += "{\"type\":\"members\"";
    add_string(out, "room", room);
    out += ",\"members\":[";
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out += ',';
        append_member(out, members[i]);
    }
    out += ']';
    add_ref(out, ref);
    out += '}';
    return out;
}

std::string encode_pong(std::optional<std::string_view> ref) {
    std::string out = "{\"type\":\"pong\"";
    add_ref(out, ref);
    out += '}';
    return out;
}

std::string encode_error(const ProtoError& error) {
    std::string out;
    out.reserve(kEnvelopeEstimate + error.message.size());
    out += "{\"type\":\"error\"";
    add_string(out, "code", to_string(error.code));
    add_string(out, "message", error.message);
    if (!error.field.empty()) add_string(out, "field", error.field);
    if (error.offset) add_uint(out, "offset", *error.offset);
    if (error.ref) add_string(out, "ref", *error.ref);
    out += '}';
    return out;
}

}  // namespace confab::proto
