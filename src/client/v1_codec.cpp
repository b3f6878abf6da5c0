#include "client/v1_codec.hpp"

#include <nlohmann/json.hpp>

namespace confab::client::wire {
namespace {

using Json = nlohmann::json;
using Out = nlohmann::ordered_json;  // "type" first, as the server writes its own messages

// Everything encoded here is valid UTF-8 (validated names, or data re-encoded by nlohmann),
// so dump() cannot throw; `replace` makes that hold even if a caller slips.
std::string dump(const Out& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

tl::unexpected<Error> malformed(std::string_view type, std::string_view what) {
    return fail(ErrorCode::ProtocolError,
                "server sent a malformed '" + std::string(type) + "': " + std::string(what));
}

// Optional string field: "" when absent or null (the protocol treats null as absent).
std::string opt_string(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool get_string(const Json& j, const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

bool get_u64(const Json& j, const char* key, std::uint64_t& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    out = it->get<std::uint64_t>();
    return true;
}

bool get_member(const Json& j, Member& out) {
    return j.is_object() && get_string(j, "nick", out.nick) &&
           get_string(j, "session", out.session) && (out.via = opt_string(j, "via"), true);
}

Result<ServerMessage> decode_msg(const Json& j) {
    Message m;
    std::uint64_t qos = 1;
    if (!get_string(j, "room", m.room)) return malformed("msg", "room");
    if (!get_u64(j, "qos", qos) || qos > 1) return malformed("msg", "qos");
    m.qos = qos == 0 ? Qos::AtMostOnce : Qos::AtLeastOnce;
    if (m.qos == Qos::AtLeastOnce && (!get_u64(j, "seq", m.seq) || m.seq == 0)) {
        return malformed("msg", "seq");
    }
    m.id = opt_string(j, "id");
    auto from = j.find("from");
    if (from != j.end() && from->is_object()) {
        m.from.nick = opt_string(*from, "nick");
        m.from.session = opt_string(*from, "session");
    }
    auto ts = j.find("ts");
    if (ts != j.end() && ts->is_number_integer()) m.ts_ms = ts->get<std::int64_t>();
    auto data = j.find("data");
    if (data == j.end()) return malformed("msg", "data");
    m.data = data->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return m;
}

Result<ServerMessage> decode_joined(const Json& j) {
    JoinedReply r;
    if (!get_string(j, "room", r.joined.room)) return malformed("joined", "room");
    if (!get_string(j, "epoch", r.joined.epoch)) return malformed("joined", "epoch");
    if (!get_u64(j, "last_seq", r.joined.last_seq)) return malformed("joined", "last_seq");
    auto rec = j.find("recovered");
    if (rec == j.end() || !rec->is_boolean()) return malformed("joined", "recovered");
    r.joined.recovered = rec->get<bool>();
    r.joined.reason = opt_string(j, "reason");
    r.ref = opt_string(j, "ref");
    return r;
}

Result<ServerMessage> decode_object(const Json& j, const std::string& type) {
    if (type == "msg") return decode_msg(j);
    if (type == "joined") return decode_joined(j);
    if (type == "ack") {
        Ack a;
        if (!get_string(j, "room", a.room) || !get_string(j, "id", a.id) ||
            !get_u64(j, "seq", a.seq)) {
            return malformed(type, "room, id or seq");
        }
        auto dup = j.find("duplicate");
        a.duplicate = dup != j.end() && dup->is_boolean() && dup->get<bool>();
        return a;
    }
    if (type == "welcome") {
        Welcome w;
        if (!get_string(j, "session", w.session)) return malformed(type, "session");
        w.nick = opt_string(j, "nick");
        // Optional (servers before the public member id have none): absent or unreadable
        // leaves it empty rather than failing the connection.
        if (auto member = j.find("member"); member == j.end() || !get_member(*member, w.member)) {
            w.member = {};
        }
        get_u64(j, "ping_interval_ms", w.ping_interval_ms);
        get_u64(j, "max_message_size", w.max_message_size);
        return w;
    }
    if (type == "left") {
        LeftReply l;
        if (!get_string(j, "room", l.room)) return malformed(type, "room");
        l.ref = opt_string(j, "ref");
        return l;
    }
    if (type == "presence") {
        Presence p;
        std::string event;
        auto member = j.find("member");
        if (!get_string(j, "room", p.room) || !get_string(j, "event", event) || member == j.end() ||
            !get_member(*member, p.member)) {
            return malformed(type, "room, event or member");
        }
        p.joined = event != "leave";
        return p;
    }
    if (type == "members") {
        MembersReply r;
        auto list = j.find("members");
        if (!get_string(j, "room", r.room) || list == j.end() || !list->is_array()) {
            return malformed(type, "room or members");
        }
        for (const Json& item : *list) {
            Member m;
            if (!get_member(item, m)) return malformed(type, "member");
            r.members.push_back(std::move(m));
        }
        r.ref = opt_string(j, "ref");
        return r;
    }
    if (type == "pong") return Pong{opt_string(j, "ref")};
    if (type == "error") {
        ServerError e;
        if (!get_string(j, "code", e.code)) return malformed(type, "code");
        e.message = opt_string(j, "message");
        e.field = opt_string(j, "field");
        e.ref = opt_string(j, "ref");
        return e;
    }
    return Unknown{type};
}

}  // namespace

bool is_valid_nick(std::string_view nick) {
    if (nick.empty() || nick.size() > 32) return false;
    for (char c : nick) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdBytes) return false;
    for (char c : id) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

Result<std::string> compact_data(std::string_view json) {
    Json parsed = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        return fail(ErrorCode::InvalidArgument, "data is not one valid JSON value");
    }
    std::string compact = parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (compact.size() > kMaxDataBytes) {
        return fail(ErrorCode::TooLarge, "data is " + std::to_string(compact.size()) +
                                             " bytes of JSON; the limit is 65536");
    }
    return compact;
}

std::string encode_hello(std::string_view nick, std::string_view session) {
    Out j{{"type", "hello"}, {"nick", nick}};
    if (!session.empty()) j["session"] = session;
    return dump(j);
}

std::string encode_join(const JoinCommand& join) {
    Out j{{"type", "join"}, {"room", join.room}};
    if (join.since) {
        j["since"] = *join.since;
        j["epoch"] = join.epoch;
    } else if (join.history > 0) {
        j["history"] = join.history;
    }
    if (!join.ref.empty()) j["ref"] = join.ref;
    return dump(j);
}

std::string encode_leave(std::string_view room, std::string_view ref) {
    Out j{{"type", "leave"}, {"room", room}};
    if (!ref.empty()) j["ref"] = ref;
    return dump(j);
}

std::string encode_pub(std::string_view room, std::string_view data, Qos qos, std::string_view id) {
    // The data is spliced in verbatim: it is already compact, validated JSON, and re-parsing
    // it here would cost a second parse per message.
    Out head{{"type", "pub"}, {"room", room}, {"qos", qos == Qos::AtMostOnce ? 0 : 1}};
    if (!id.empty()) {
        head["id"] = id;
        head["ref"] = id;
    }
    std::string out = dump(head);
    out.pop_back();  // the closing '}'
    out += ",\"data\":";
    out += data;
    out += '}';
    return out;
}

std::string encode_members(std::string_view room, std::string_view ref) {
    Out j{{"type", "members"}, {"room", room}};
    if (!ref.empty()) j["ref"] = ref;
    return dump(j);
}

Result<ServerMessage> decode_server_message(std::string_view text) {
    try {
        Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) {
            return fail(ErrorCode::ProtocolError, "server sent a frame that is not a JSON object");
        }
        std::string type;
        if (!get_string(j, "type", type)) {
            return fail(ErrorCode::ProtocolError, "server sent a message without a string type");
        }
        return decode_object(j, type);
    } catch (const std::exception& e) {  // nlohmann type errors: a field of the wrong kind
        return fail(ErrorCode::ProtocolError,
                    std::string("server sent a malformed message: ") + e.what());
    }
}

}  // namespace confab::client::wire
