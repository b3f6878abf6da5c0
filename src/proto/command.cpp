// confab.v1 command parsing. Everything here is untrusted input: every field is checked for
// type and range, and each failure names the field so a client developer can fix it.
#include "proto/command.hpp"

#include <fmt/format.h>

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "rooms/room_name.hpp"

namespace confab::proto {

namespace {

using json = nlohmann::json;
template <typename T>
using Expected = tl::expected<T, ProtoError>;

constexpr std::size_t kMaxReasonBytes = 120;
constexpr std::size_t kMaxEchoedTypeBytes = 32;

// ---- field rules -----------------------------------------------------------------------

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Same rule as telnet's /nick, so a nick is valid on both front ends.
bool is_valid_nick(std::string_view s) {
    if (s.empty() || s.size() > kMaxNickBytes) return false;
    for (char c : s) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

bool is_valid_session(std::string_view s) {
    if (s.empty() || s.size() > kMaxSessionBytes) return false;
    for (char c : s) {
        if (!is_alnum(c) && c != '_' && c != '-') return false;
    }
    return true;
}

bool is_printable_ascii_up_to_64(std::string_view s) {
    static_assert(kMaxMessageIdBytes == 64 && kMaxEpochBytes == 64);
    if (s.empty() || s.size() > 64) return false;
    for (char c : s) {
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

bool is_valid_ref(std::string_view s) {
    return s.size() <= kMaxRefBytes;
}

bool is_valid_room(std::string_view s) {
    return rooms::is_valid_room_name(s);
}

constexpr std::string_view kNickRule = "1-32 of [A-Za-z0-9._-]";
constexpr std::string_view kSessionRule = "1-64 of [A-Za-z0-9_-]";
constexpr std::string_view kPrintableRule = "1-64 printable ASCII characters";
constexpr std::string_view kRefRule = "at most 64 bytes";
constexpr std::string_view kRoomRule = "1-128 of [A-Za-z0-9._:/-], not starting or ending with '/'";

// ---- errors ----------------------------------------------------------------------------

ProtoError bad_request(std::string_view field, std::string_view problem) {
    return ProtoError{
        ErrorCode::BadRequest, fmt::format("{}: {}", field, problem), {}, std::string(field), {}};
}

tl::unexpected<ProtoError> fail(ProtoError error) {
    return tl::unexpected(std::move(error));
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view clip_utf8(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end);
}

// Finds where nlohmann's parser gives up. Only run on the error path: the fast path is the
// DOM parse, which does not report positions without exceptions.
class ErrorLocator : public nlohmann::json_sax<json> {
public:
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& error) override {
        // `position` counts the bytes read, the offending one included.
        offset = position == 0 ? 0 : position - 1;
        reason = error.what();
        return false;
    }

    std::size_t offset = 0;
    std::string reason;
};

// "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error ..." →
// "syntax error ...": the position is reported separately, in bytes.
std::string_view short_reason(std::string_view what) {
    if (!what.empty() && what.front() == '[') {
        auto close = what.find("] ");
        if (close != std::string_view::npos) what.remove_prefix(close + 2);
    }
    if (what.starts_with("parse error")) {
        auto colon = what.find(": ");
        if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    return clip_utf8(what, kMaxReasonBytes);
}

ProtoError bad_json_impl(std::string_view text) {
    ErrorLocator locator;
    json::sax_parse(text.begin(), text.end(), &locator);
    std::size_t offset = std::min(locator.offset, text.size());
    std::string message = fmt::format("invalid JSON at byte {}", offset);
    if (auto reason = short_reason(locator.reason); !reason.empty()) {
        message += fmt::format(": {}", reason);
    }
    return ProtoError{ErrorCode::BadJson, std::move(message), {}, {}, offset};
}


// Rewrites raw U+2028/U+2029 as \u2028/\u2029, as append_json_string does, so that every
// frame the server sends is also a valid JavaScript literal (before ES2019 they ended lines).
// In JSON text they can only occur inside strings, so replacing the bytes is safe.
void escape_line_separators(std::string& text) {
    constexpr std::string_view kLead = "\xE2\x80";
    for (auto at = text.find(kLead); at != std::string::npos; at = text.find(kLead, at + 1)) {
        if (at + 2 >= text.size()) break;
        char last = text[at + 2];
        if (last != '\xA8' && last != '\xA9') continue;
        text.replace(at, 3, last == '\xA8' ? "\\u2028" : "\\u2029");
    }
}

// ---- the frame's top level ------------------------------------------------------------------

// The command object's members as the field readers see them, and pub's data as compact text.
struct TopLevel {
    json root;
    std::optional<std::string> data;  // set by the fast path only
};

// Frames up to this size take the fast path; its parser keeps buffers for the largest frame
// it has seen, so the bound is also what each loop keeps. A pub's data is at most 64 KiB by
// default: bigger frames are rare and may pay for nlohmann.
constexpr std::size_t kFastPathMaxBytes = 16 * 1024;

json scalar_or_placeholder(simdjson::dom::element value) {
    using Type = simdjson::dom::element_type;
    switch (value.type()) {
        case Type::STRING: return std::string(value.get_string().value_unsafe());
        case Type::INT64: {
            std::int64_t n = value.get_int64().value_unsafe();
            // nlohmann types every non-negative integer as unsigned: keep to its model.
            return n >= 0 ? json(static_cast<std::uint64_t>(n)) : json(n);
        }
        case Type::UINT64: return value.get_uint64().value_unsafe();
        case Type::DOUBLE: return value.get_double().value_unsafe();
        case Type::BOOL: return value.get_bool().value_unsafe();
        case Type::NULL_VALUE: return nullptr;
        // Only pub's data may be composite, and it is carried as text: any other field
        // just needs the right type for its "must be a ..." error.
        case Type::ARRAY: return json::array();
        case Type::OBJECT: return json::object();
    }
    return nullptr;
}

// simdjson validates the whole frame (structure, UTF-8, escapes, numbers) about four times
// faster than nlohmann's DOM parse, and writes data back compact without a DOM (same number
// formatting as nlohmann's dump; keys stay in the order sent). nullopt: not taken — too big,
// or anything simdjson refuses (a byte-order mark, integers past 64 bits, bad JSON): nlohmann
// then decides, so what is accepted and every error message stay nlohmann's.
std::optional<TopLevel> parse_fast(std::string_view text) {
    if (text.size() > kFastPathMaxBytes) return std::nullopt;
    thread_local simdjson::dom::parser parser(kFastPathMaxBytes);
    simdjson::dom::element doc;
    if (parser.parse(text.data(), text.size(), true).get(doc)) return std::nullopt;
    simdjson::dom::object object;
    if (doc.get_object().get(object)) return std::nullopt;  // nlohmann's path words the error
    TopLevel top{json::object(), std::nullopt};
    std::optional<simdjson::dom::element> data;
    for (auto [key, value] : object) {
        // Duplicate keys: the last one wins, as in nlohmann's DOM.
        if (key == "data") data = value;
        top.root[std::string(key)] = scalar_or_placeholder(value);
    }
    auto type = top.root.find("type");
    if (data && type != top.root.end() && *type == "pub") top.data = simdjson::minify(*data);
    return top;
}

// ---- typed field readers -----------------------------------------------------------------

// nullptr when the field is absent or null: both mean "not given" for optional fields.
const json* find_field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

Expected<std::optional<std::string>> optional_string(const json& object, const char* key,
                                                     bool (*valid)(std::string_view),
                                                     std::string_view rule) {
    const json* value = find_field(object, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
        return fail(bad_request(key, fmt::format("must be a string, {}", rule)));
    }
    const auto& s = value->get_ref<const std::string&>();
    if (!valid(s)) return fail(bad_request(key, fmt::format("must be {}", rule)));
    return s;
}

Expected<std::string> required_string(const json& object, const char* key,
                                      bool (*valid)(std::string_view), std::string_view rule) {
    auto s = optional_string(object, key, valid, rule);
    if (!s) return fail(std::move(s.error()));
    if (!*s) return fail(bad_request(key, fmt::format("required ({})", rule)));
    return std::move(**s);
}

// An integer in [min, max]. Floats (even 5.0), strings and booleans are refused.
Expected<std::optional<std::uint64_t>> optional_uint(const json& object, const char* key,
                                                     std::uint64_t min, std::uint64_t max) {
    const json* value = find_field(object, key);
    if (value == nullptr) return std::nullopt;
    auto problem = [&] {
        return fail(bad_request(key, fmt::format("must be an integer from {} to {}", min, max)));
    };
    if (!value->is_number_integer()) return problem();
    if (!value->is_number_unsigned()) {
        if (value->get<std::int64_t>() < 0) return problem();
    }
    auto n = value->get<std::uint64_t>();
    if (n < min || n > max) return problem();
    return n;
}

// ---- one parser per command ------------------------------------------------------------------

Expected<Command> parse_hello(const json& o) {
    Hello hello;
    auto nick = required_string(o, "nick", is_valid_nick, kNickRule);
    if (!nick) return fail(std::move(nick.error()));
    hello.nick = std::move(*nick);
    auto session = optional_string(o, "session", is_valid_session, kSessionRule);
    if (!session) return fail(std::move(session.error()));
    hello.session = std::move(*session);
    return hello;
}

Expected<Command> parse_join(const json& o) {
    Join join;
    auto room = required_string(o, "room", is_valid_room, kRoomRule);
    if (!room) return fail(std::move(room.error()));
    join.room = std::move(*room);
    auto since = optional_uint(o, "since", 0, UINT64_MAX);
    if (!since) return fail(std::move(since.error()));
    join.since = *since;
    auto epoch = optional_string(o, "epoch", is_printable_ascii_up_to_64, kPrintableRule);
    if (!epoch) return fail(std::move(epoch.error()));
    join.epoch = std::move(*epoch);
    // A seq means nothing without the epoch it was counted in, and an epoch alone resumes
    // nothing: refusing the half-resume keeps the server from guessing.
    if (join.since && !join.epoch) return fail(bad_request("epoch", "required with since"));
    if (join.epoch && !join.since) return fail(bad_request("since", "required with epoch"));
    auto history = optional_uint(o, "history", 0, kMaxHistory);
    if (!history) return fail(std::move(history.error()));
    join.history = static_cast<std::uint32_t>(history->value_or(0));
    return join;
}

template <typename RoomCommand>
Expected<Command> parse_room_only(const json& o) {
    RoomCommand command;
    auto room = required_string(o, "room", is_valid_room, kRoomRule);
    if (!room) return fail(std::move(room.error()));
    command.room = std::move(*room);
    return command;
}

Expected<Command> parse_pub(const json& o, const Limits& limits,
                            std::optional<std::string>&& data_text) {
    Pub pub;
    auto room = required_string(o, "room", is_valid_room, kRoomRule);
    if (!room) return fail(std::move(room.error()));
    pub.room = std::move(*room);
    auto data = o.find("data");  // null is a value here: only a missing key is missing
    if (data == o.end()) return fail(bad_request("data", "required (any JSON value)"));
    auto qos = optional_uint(o, "qos", 0, 1);
    if (!qos) return fail(std::move(qos.error()));
    pub.qos = qos->value_or(1) == 0 ? rooms::Qos::Droppable : rooms::Qos::Guaranteed;
    auto id = optional_string(o, "id", is_printable_ascii_up_to_64, kPrintableRule);
    if (!id) return fail(std::move(id.error()));
    pub.id = std::move(*id);
    if (pub.qos == rooms::Qos::Guaranteed && !pub.id) {
        return fail(bad_request("id", fmt::format("required when qos is 1 ({})", kPrintableRule)));
    }
    auto ttl = optional_uint(o, "ttl_ms", 1, kMaxTtlMs);
    if (!ttl) return fail(std::move(ttl.error()));
    // A stored message never expires: refuse the contradiction rather than ignore it, so a
    // client that believes its message will vanish learns otherwise.
    if (*ttl && pub.qos == rooms::Qos::Guaranteed) {
        return fail(bad_request("ttl_ms", "only allowed with qos 0"));
    }
    if (*ttl) pub.ttl_ms = static_cast<std::uint32_t>(**ttl);
    if (data_text) {
        pub.data = std::move(*data_text);
    } else {
        // Strings came through the parser, so they are valid UTF-8; `replace` only guarantees
        // that dump() cannot throw.
        pub.data = data->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    escape_line_separators(pub.data);
    if (pub.data.size() > limits.max_data_bytes) {
        return fail(ProtoError{ErrorCode::TooLarge,
                               fmt::format("data: {} bytes of JSON, the limit is {}",
                                           pub.data.size(), limits.max_data_bytes),
                               {},
                               "data",
                               {}});
    }
    return pub;
}

Expected<Command> parse_typed(std::string_view type, TopLevel& top, const Limits& limits) {
    const json& o = top.root;
    if (type == "pub") return parse_pub(o, limits, std::move(top.data));
    if (type == "join") return parse_join(o);
    if (type == "leave") return parse_room_only<Leave>(o);
    if (type == "members") return parse_room_only<Members>(o);
    if (type == "ping") return Ping{};
    if (type == "hello") return parse_hello(o);
    std::string message = type.size() <= kMaxEchoedTypeBytes
                              ? fmt::format("unknown type \"{}\"", type)
                              : std::string("unknown type");
    return fail(ProtoError{ErrorCode::UnknownType, std::move(message), {}, "type", {}});
}

}  // namespace

ParseResult parse_command(std::string_view text, const Limits& limits) {
    if (json_nesting_depth(text, limits.max_depth) > limits.max_depth) {
        return fail(ProtoError{ErrorCode::TooLarge,
                               fmt::format("JSON nested deeper than {} levels", limits.max_depth),
                               {},
                               {},
                               {}});
    }
    std::optional<TopLevel> fast = parse_fast(text);
    TopLevel top = fast ? std::move(*fast)
                        : TopLevel{json::parse(text.begin(), text.end(), nullptr, false), {}};
    const json& root = top.root;
    if (root.is_discarded()) return fail(bad_json_impl(text));
    if (!root.is_object()) {
        return fail(ProtoError{
            ErrorCode::BadRequest, "a frame must be one JSON object with a \"type\"", {}, {}, {}});
    }
    // Read ref first, so that every later error can echo it.
    auto ref = optional_string(root, "ref", is_valid_ref, kRefRule);
    if (!ref) return fail(std::move(ref.error()));
    auto type = root.find("type");
    if (type == root.end() || !type->is_string()) {
        ProtoError error = bad_request("type", "required, a string such as \"pub\"");
        error.ref = std::move(*ref);
        return fail(std::move(error));
    }
    auto command = parse_typed(type->get_ref<const std::string&>(), top, limits);
    if (!command) {
        command.error().ref = std::move(*ref);
        return command;
    }
    std::visit([&](auto& c) { c.ref = std::move(*ref); }, *command);
    return command;
}

const std::optional<std::string>& ref_of(const Command& command) {
    return std::visit([](const auto& c) -> const std::optional<std::string>& { return c.ref; },
                      command);
}

std::string_view type_of(const Command& command) {
    struct Names {
        std::string_view operator()(const Hello&) const { return "hello"; }
        std::string_view operator()(const Join&) const { return "join"; }
        std::string_view operator()(const Leave&) const { return "leave"; }
        std::string_view operator()(const Pub&) const { return "pub"; }
        std::string_view operator()(const Members&) const { return "members"; }
        std::string_view operator()(const Ping&) const { return "ping"; }
    };
    return std::visit(Names{}, command);
}

ProtoError json_syntax_error(std::string_view text) { return bad_json_impl(text); }

// Deepest nesting of arrays and objects in `text`, scanning no further than `limit` + 1.
// Cheap and tolerant of malformed input (the parser reports that).
std::size_t json_nesting_depth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) break;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace confab::proto
