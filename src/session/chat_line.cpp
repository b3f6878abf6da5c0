#include "session/chat_line.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "telnet/chat_format.hpp"

namespace confab::session {

namespace {
using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// data.text when data is {"text": "..."}, or data itself when it is a string.
std::optional<std::string> text_of(const json& data) {
    if (data.is_string()) return data.get<std::string>();
    if (data.is_object()) {
        auto it = data.find("text");
        if (it != data.end() && it->is_string()) return it->get<std::string>();
    }
    return std::nullopt;
}
}  // namespace

ChatLine chat_line_from_plain(std::string_view payload, std::uint64_t conn_id) {
    ChatLine line;
    line.via = "ws";
    line.nick = fmt::format("web-{}", conn_id);
    line.verbatim = std::string(payload);
    json parsed = json::parse(payload, nullptr, false);
    if (parsed.is_discarded()) {
        line.data = dump(json(std::string(payload)));
        return line;
    }
    if (parsed.is_object()) {
        auto nick = parsed.find("nick");
        auto text = parsed.find("text");
        if (nick != parsed.end() && nick->is_string() && text != parsed.end() && text->is_string() &&
            telnet::is_valid_nick(nick->get<std::string>())) {
            // The chat page's own shape: keep its nick, and carry the rest as data.
            line.nick = nick->get<std::string>();
            parsed.erase("nick");
            parsed.erase("via");
        }
    }
    line.data = dump(parsed);
    return line;
}

ChatLine chat_line_from_telnet(std::string nick, std::string session, std::string_view text) {
    ChatLine line;
    line.nick = std::move(nick);
    line.session = std::move(session);
    line.via = "telnet";
    json data = {{"text", std::string(text)}};
    line.data = dump(data);  // invalid UTF-8 from a terminal becomes U+FFFD
    return line;
}

ChatLine chat_line_from_v1(std::string nick, std::string member_id, std::string data) {
    ChatLine line;
    line.nick = std::move(nick);
    line.session = std::move(member_id);
    line.via = "ws";
    line.data = std::move(data);
    return line;
}

std::optional<ChatLine> chat_line_from_stored(std::string_view stored) {
    json j = json::parse(stored, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto str = [&](const char* key) -> std::optional<std::string> {
        auto it = j.find(key);
        if (it == j.end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    auto nick = str("nick"), session = str("session"), via = str("via");
    auto data = j.find("data");
    if (!nick || !session || !via || data == j.end()) return std::nullopt;
    ChatLine line;
    line.nick = *nick;
    line.session = *session;
    line.via = *via;
    line.data = dump(*data);
    return line;
}

std::string stored_payload(const ChatLine& line) {
    // data is already compact JSON: splice it rather than parse it again.
    return fmt::format(R"({{"nick":{},"session":{},"via":{},"data":{}}})", dump(json(line.nick)),
                       dump(json(line.session)), dump(json(line.via)), line.data);
}

std::optional<std::string> chat_text(const ChatLine& line) {
    json data = json::parse(line.data, nullptr, false);
    if (data.is_discarded()) return std::nullopt;
    return text_of(data);
}

std::string plain_payload(const ChatLine& line) {
    if (line.verbatim) return *line.verbatim;
    if (auto text = chat_text(line)) {
        json j = {{"nick", line.nick}, {"text", *text}};
        if (line.via == "telnet") j["via"] = "telnet";
        return dump(j);
    }
    return fmt::format(R"({{"nick":{},"data":{}}})", dump(json(line.nick)), line.data);
}

std::string telnet_line(const ChatLine& line) {
    // Plain-room text renders as before ("[nick]: text" for the page's lines, "[ws]: ..."
    // otherwise), so telnet users see the same thing whichever way it arrived.
    if (line.verbatim) return telnet::render_for_telnet(*line.verbatim, true);
    // render_for_telnet sanitizes (escape sequences, controls, invalid UTF-8) and adds CRLF.
    auto text = chat_text(line);
    json j = {{"nick", line.nick}, {"text", text ? *text : line.data}};
    return telnet::render_for_telnet(dump(j), true);
}

}  // namespace confab::session
