#include "http/rooms_api.hpp"

#include <boost/beast/http/field.hpp>

#include <charconv>
#include <nlohmann/json.hpp>
#include <random>

#include "core/log.hpp"
#include "http/api_access.hpp"
#include "http/percent_decode.hpp"
#include "proto/command.hpp"
#include "rooms/room_name.hpp"
#include "session/chat_line.hpp"
#include "session/history_bridge.hpp"
#include "session/pending.hpp"
#include "telnet/chat_format.hpp"

namespace confab::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kRooms = "/api/rooms";
constexpr std::uint32_t kDefaultHistoryLimit = 100;
constexpr std::uint32_t kMaxHistoryLimit = 1000;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

FrameRef json_response(int status, const json& body, KeepAlive ka) {
    return make_response(status, "application/json", dump(body), ka);
}

// Parses an unsigned query parameter; nullopt with `error` set when present but invalid.
std::optional<std::uint64_t> number_param(std::string_view query, std::string_view name,
                                          std::uint64_t fallback, std::string& error) {
    auto text = query_param(query, name);
    if (!text) return fallback;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || text->empty()) {
        error = "query parameter '" + std::string(name) + "' must be a non-negative integer";
        return std::nullopt;
    }
    return value;
}

std::string random_id() {
    thread_local std::mt19937_64 rng(std::random_device{}());
    return "api-" + std::to_string(rng());
}

json message_json(const store::StoredMessage& m) {
    json out = {{"seq", m.seq}, {"ts", m.ts_ms}};
    if (!m.client_msg_id.empty()) out["id"] = m.client_msg_id;
    if (auto line = session::chat_line_from_stored(m.payload)) {
        out["from"] = {{"nick", line->nick}, {"session", line->session}, {"via", line->via}};
        out["data"] = json::parse(line->data, nullptr, false);
    }
    return out;
}

struct Call {
    const RoomsApi::Request& req;
    std::string_view query;
    KeepAlive ka;
    net::Connection& conn;
    const session::SessionContext& ctx;
    RoomsApi::Reply& reply;

    void problem(int status, std::string_view detail) const { reply(make_problem(status, detail, ka)); }
    void method_not_allowed(std::string_view allow) const {
        reply(make_problem(405, "method not allowed here", ka, {{"Allow", allow}}));
    }
};

void list_rooms(const Call& c) {
    c.ctx.shard.list_rooms([reply = c.reply, ka = c.ka](shard::Shard::RoomList rooms) {
        json list = json::array();
        for (auto& [name, members] : rooms) list.push_back({{"room", name}, {"members", members}});
        reply(json_response(200, {{"rooms", list}}, ka));
    });
}

void list_members(const Call& c, std::string room) {
    c.ctx.shard.list_members(room, [reply = c.reply, ka = c.ka, room](shard::Shard::MemberList members) {
        json list = json::array();
        for (auto& m : members) list.push_back({{"nick", m.nick}, {"session", m.session}, {"via", m.via}});
        reply(json_response(200, {{"room", room}, {"members", list}}, ka));
    });
}

void publish(const Call& c, std::string room) {
    std::string_view type(c.req[bhttp::field::content_type].data(), c.req[bhttp::field::content_type].size());
    if (!type.starts_with("application/json")) return c.problem(415, "send the message as application/json");
    json body = json::parse(c.req.body(), nullptr, false);
    if (body.is_discarded()) return c.problem(400, proto::json_syntax_error(c.req.body()).message);
    if (!body.is_object()) {
        return c.problem(400, "the body must be a JSON object {\"data\": ..., \"qos\": 0|1, \"id\": ...}");
    }
    auto data = body.find("data");
    if (data == body.end()) return c.problem(400, "missing field 'data'");
    int qos = 1;
    if (auto q = body.find("qos"); q != body.end()) {
        if (!q->is_number_integer() || (q->get<int>() != 0 && q->get<int>() != 1)) {
            return c.problem(400, "field 'qos' must be 0 or 1");
        }
        qos = q->get<int>();
    }
    std::string id;
    if (auto i = body.find("id"); i != body.end()) {
        if (!i->is_string() || i->get<std::string>().empty() || i->get<std::string>().size() > proto::kMaxMessageIdBytes) {
            return c.problem(400, "field 'id' must be a string of 1-64 bytes");
        }
        id = i->get<std::string>();
    }
    std::string nick = "api";
    if (auto n = body.find("nick"); n != body.end()) {
        if (!n->is_string() || !telnet::is_valid_nick(n->get<std::string>())) {
            return c.problem(400, "field 'nick' must be 1-32 of letters, digits, '.', '_' or '-'");
        }
        nick = n->get<std::string>();
    }
    session::ChatMessageSpec spec{.room = room,
                                  .line = session::chat_line_from_v1(nick, "api", dump(*data)),
                                  .qos = qos ? rooms::Qos::Guaranteed : rooms::Qos::Droppable,
                                  .ts_ms = session::wall_clock_ms(),
                                  .sender = c.conn.id()};
    if (!id.empty()) spec.client_msg_id = id;
    if (qos == 0) {
        c.ctx.shard.publish(session::build_chat_message(c.ctx.build(), std::move(spec)));
        return c.reply(json_response(202, {{"room", room}, {"qos", 0}}, c.ka));
    }
    if (id.empty()) id = random_id();  // no idempotency asked for
    spec.client_msg_id = id;
    auto pending = std::make_unique<session::PendingPublish>();
    pending->loop = &c.conn.loop();
    pending->conn = c.conn.weak_from_this();
    pending->message = std::move(spec);
    pending->on_stored = [reply = c.reply, ka = c.ka](const store::AppendResult& r) {
        if (r.error) return reply(make_problem(503, "not stored: " + r.error->message, ka, {{"Retry-After", "1"}}));
        json out = {{"room", r.room}, {"seq", r.seq}, {"id", r.client_msg_id}, {"duplicate", r.duplicate}};
        reply(json_response(r.duplicate ? 200 : 201, out, ka));
    };
    // One identity for the API: the same id from any API caller is the same message.
    if (auto ok = session::submit_publish(c.ctx.history, std::move(pending), "api", id); !ok) {
        c.reply(make_problem(503, "history busy: " + ok.error().message, c.ka, {{"Retry-After", "1"}}));
    }
}

void history(const Call& c, std::string room) {
    std::string error;
    auto after = number_param(c.query, "after", 0, error);
    auto limit = number_param(c.query, "limit", kDefaultHistoryLimit, error);
    auto last = number_param(c.query, "last", 0, error);
    if (!after || !limit || !last) return c.problem(400, error);
    if (*limit == 0 || *limit > kMaxHistoryLimit) return c.problem(400, "'limit' must be 1-1000");
    store::ReadRequest read;
    read.room = room;
    read.after_seq = *after;
    read.limit = static_cast<std::uint32_t>(*limit);
    read.last_n = static_cast<std::uint32_t>(std::min<std::uint64_t>(*last, kMaxHistoryLimit));
    auto pending = std::make_unique<session::PendingRead>();
    pending->loop = &c.conn.loop();
    pending->conn = c.conn.weak_from_this();
    pending->on_read = [reply = c.reply, ka = c.ka](store::ReadResult&& r) {
        if (r.error) {
            return reply(make_problem(503, "history read failed: " + r.error->message, ka,
                                      {{"Retry-After", "1"}}));
        }
        json messages = json::array();
        for (const auto& m : r.messages) messages.push_back(message_json(m));
        json out = {{"room", r.room},         {"epoch", r.epoch},       {"first_seq", r.first_seq},
                    {"last_seq", r.last_seq}, {"complete", r.complete}, {"messages", messages}};
        // Oldest-first pages: the next page starts after the last message of this one.
        if (r.truncated && !r.messages.empty()) out["next_after"] = r.messages.back().seq;
        reply(json_response(200, out, ka));
    };
    if (auto ok = session::submit_read(c.ctx.history, std::move(read), std::move(pending)); !ok) {
        c.reply(make_problem(503, "history busy: " + ok.error().message, c.ka, {{"Retry-After", "1"}}));
    }
}

}  // namespace

void RoomsApi::handle(const Request& req, std::string_view path, std::string_view query,
                      KeepAlive ka, net::Connection& conn, const session::SessionContext& ctx,
                      Reply reply) const {
    Call c{req, query, ka, conn, ctx, reply};
    if (auto refusal = api_refusal(req, conn, config_.keys, ka)) return reply(std::move(*refusal));
    const auto method = req.method();
    if (path == kRooms || path == "/api/rooms/") {
        if (method != bhttp::verb::get) return c.method_not_allowed("GET");
        return list_rooms(c);
    }
    if (!path.starts_with("/api/rooms/")) return c.problem(404, "no such API endpoint");
    std::string_view rest = path.substr(std::string_view("/api/rooms/").size());
    auto split = [&](std::string_view suffix) -> std::optional<std::string> {
        if (!rest.ends_with(suffix) || rest.size() <= suffix.size()) return std::nullopt;
        // A malformed escape decodes to "", which no room name matches: 400 below.
        return percent_decode(rest.substr(0, rest.size() - suffix.size())).value_or("");
    };
    if (auto room = split("/messages")) {
        if (!rooms::is_valid_room_name(*room)) return c.problem(400, "invalid room name");
        if (method == bhttp::verb::post) {
            if (rooms::is_server_owned(*room)) {
                return c.problem(403, *room + " is written by the server only (resource changes, "
                                      "presence events); subscribe to it instead");
            }
            return publish(c, std::move(*room));
        }
        if (method == bhttp::verb::get) return history(c, std::move(*room));
        return c.method_not_allowed("GET, POST");
    }
    if (auto room = split("/members")) {
        if (!rooms::is_valid_room_name(*room)) return c.problem(400, "invalid room name");
        if (method != bhttp::verb::get) return c.method_not_allowed("GET");
        return list_members(c, std::move(*room));
    }
    c.problem(404, "no such API endpoint");
}

}  // namespace confab::http
