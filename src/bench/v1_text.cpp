#include "bench/v1_text.hpp"

namespace confab::bench::v1 {
namespace {

constexpr std::string_view kDataKey = R"(,"data":)";

// Where the value of `"name":` starts in `json`, or npos.
std::size_t value_at(std::string_view json, std::string_view name) {
    std::string key;
    key.reserve(name.size() + 3);
    key += '"';
    key += name;
    key += "\":";
    const std::size_t at = json.find(key);
    return at == std::string_view::npos ? at : at + key.size();
}

}  // namespace

std::string hello(std::string_view nick, std::string_view session) {
    std::string out = R"({"type":"hello","nick":")";
    out += nick;
    out += '"';
    if (!session.empty()) {
        out += R"(,"session":")";
        out += session;
        out += '"';
    }
    out += '}';
    return out;
}

std::string join(std::string_view room, std::uint64_t since, std::string_view epoch) {
    std::string out = R"({"type":"join","room":")";
    out += room;
    out += '"';
    if (!epoch.empty()) {
        out += R"(,"since":)" + std::to_string(since) + R"(,"epoch":")";
        out += epoch;
        out += '"';
    }
    out += '}';
    return out;
}

std::string pub(std::string_view room, int qos, std::string_view id, std::string_view data) {
    std::string out;
    out.reserve(64 + room.size() + id.size() + data.size());
    out += R"({"type":"pub","room":")";
    out += room;
    out += R"(","qos":)";
    out += qos == 0 ? '0' : '1';
    if (!id.empty()) {
        out += R"(,"id":")";
        out += id;
        out += '"';
    }
    out += R"(,"data":")";
    out += data;
    out += "\"}";
    return out;
}

Type type_of(std::string_view json) {
    constexpr std::string_view kPrefix = R"({"type":")";
    if (!json.starts_with(kPrefix)) return Type::Other;
    const std::string_view rest = json.substr(kPrefix.size());
    const auto is = [&](std::string_view name) {
        return rest.starts_with(name) && rest.size() > name.size() && rest[name.size()] == '"';
    };
    if (is("msg")) return Type::Msg;
    if (is("ack")) return Type::Ack;
    if (is("joined")) return Type::Joined;
    if (is("presence")) return Type::Presence;
    if (is("welcome")) return Type::Welcome;
    if (is("error")) return Type::Error;
    return Type::Other;
}

std::string_view envelope(std::string_view json) {
    const std::size_t data = json.find(kDataKey);
    return data == std::string_view::npos ? json : json.substr(0, data);
}

std::optional<std::uint64_t> uint_field(std::string_view json, std::string_view name) {
    std::size_t i = value_at(json, name);
    if (i == std::string_view::npos) return std::nullopt;
    const bool quoted = i < json.size() && json[i] == '"';
    if (quoted) ++i;
    const std::size_t first = i;
    std::uint64_t v = 0;
    for (; i < json.size() && json[i] >= '0' && json[i] <= '9'; ++i) {
        v = v * 10 + static_cast<std::uint64_t>(json[i] - '0');
    }
    if (i == first || (quoted && (i >= json.size() || json[i] != '"'))) return std::nullopt;
    return v;
}

std::optional<std::string_view> string_field(std::string_view json, std::string_view name) {
    const std::size_t i = value_at(json, name);
    if (i == std::string_view::npos || i >= json.size() || json[i] != '"') return std::nullopt;
    std::size_t end = i + 1;
    while (end < json.size() && (json[end] != '"' || json[end - 1] == '\\')) ++end;
    if (end >= json.size()) return std::nullopt;
    return json.substr(i + 1, end - i - 1);
}

std::optional<bool> bool_field(std::string_view json, std::string_view name) {
    const std::size_t i = value_at(json, name);
    if (i == std::string_view::npos) return std::nullopt;
    const std::string_view rest = json.substr(i);
    if (rest.starts_with("true")) return true;
    if (rest.starts_with("false")) return false;
    return std::nullopt;
}

std::optional<std::string_view> data_string(std::string_view json, std::size_t expected_size) {
    // data is the last field: look where a string of the expected size would start, else
    // search from the end, past at most the data itself.
    constexpr std::string_view kKey = R"(,"data":")";
    if (!json.ends_with("\"}")) return std::nullopt;
    std::size_t at = std::string_view::npos;
    if (expected_size > 0 && json.size() >= expected_size + 2 + kKey.size()) {
        const std::size_t guess = json.size() - 2 - expected_size - kKey.size();
        if (json.substr(guess, kKey.size()) == kKey) at = guess;
    }
    if (at == std::string_view::npos) at = json.rfind(kKey);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t first = at + kKey.size();
    return json.substr(first, json.size() - 2 - first);
}

}  // namespace confab::bench::v1
