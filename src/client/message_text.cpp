#include "client/message_text.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace confab::client {
namespace {

using Json = nlohmann::ordered_json;
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

std::string escape_controls(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string display_text(std::string_view data_json) {
    Json data = Json::parse(data_json, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return escape_controls(data_json);
    if (data.is_object()) {
        auto text = data.find("text");
        if (text != data.end() && text->is_string()) {
            return escape_controls(text->get_ref<const std::string&>());
        }
    }
    if (data.is_string()) return escape_controls(data.get_ref<const std::string&>());
    return escape_controls(data.dump(-1, ' ', false, kReplace));
}

std::string display_line(const Message& m) {
    std::string line = "[" + m.room;
    if (m.qos == Qos::AtLeastOnce) line += " #" + std::to_string(m.seq);
    line += "] ";
    line += m.from.nick.empty() ? std::string("?") : escape_controls(m.from.nick);
    line += ": ";
    line += display_text(m.data);
    return line;
}

std::string json_line(const Message& m) {
    Json j;
    j["room"] = m.room;
    if (m.qos == Qos::AtLeastOnce) j["seq"] = m.seq;
    j["qos"] = m.qos == Qos::AtLeastOnce ? 1 : 0;
    if (!m.id.empty()) j["id"] = m.id;
    j["from"] = Json{{"nick", m.from.nick}, {"session", m.from.session}};
    j["ts"] = m.ts_ms;
    Json data = Json::parse(m.data, nullptr, /*allow_exceptions=*/false);
    j["data"] = data.is_discarded() ? Json(m.data) : std::move(data);
    return j.dump(-1, ' ', false, kReplace);
}

std::string chat_data(std::string_view text) {
    return Json{{"text", text}}.dump(-1, ' ', false, kReplace);
}

}  // namespace confab::client
