// Chat line formats between the WebSocket and telnet sides of a room. Everything from the
// WebSocket side is untrusted text for a terminal, so it is made inert before it is shown.
#include "telnet/chat_format.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/utf8_sequence.hpp"

namespace confab::telnet {

namespace {

using json = nlohmann::json;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
constexpr unsigned char kEsc = 0x1B;
constexpr unsigned char kBel = 0x07;
constexpr std::size_t kMaxNickBytes = 32;

bool in_range(unsigned char byte, unsigned char low, unsigned char high) {
    return byte >= low && byte <= high;
}


// Index just past the ANSI/ECMA-48 escape sequence that starts with the ESC at `at`.
// The whole sequence is dropped, not only its ESC: "[31m" left behind is noise to a reader.
std::size_t skip_escape(std::string_view s, std::size_t at) {
    std::size_t i = at + 1;
    if (i >= s.size()) return i;
    auto kind = static_cast<unsigned char>(s[i]);
    if (kind == '[') {
        // CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
        ++i;
        while (i < s.size() && in_range(static_cast<unsigned char>(s[i]), 0x30, 0x3F)) ++i;
        while (i < s.size() && in_range(static_cast<unsigned char>(s[i]), 0x20, 0x2F)) ++i;
        if (i < s.size() && in_range(static_cast<unsigned char>(s[i]), 0x40, 0x7E)) ++i;
        return i;  // a malformed CSI ends early; what follows is rendered (and made inert)
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        // OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC '\'). Unterminated: to the end,
        // since a terminal would swallow it too.
        for (++i; i < s.size(); ++i) {
            auto byte = static_cast<unsigned char>(s[i]);
            if (byte == kBel) return i + 1;
            if (byte == kEsc && i + 1 < s.size() && s[i + 1] == '\\') return i + 2;
        }
        return i;
    }
    // nF / Fp / Fe / Fs: intermediates 0x20-0x2F, then one final byte 0x30-0x7E (ESC ( B, ESC c).
    while (i < s.size() && in_range(static_cast<unsigned char>(s[i]), 0x20, 0x2F)) ++i;
    if (i < s.size() && in_range(static_cast<unsigned char>(s[i]), 0x30, 0x7E)) ++i;
    return i;
}

// Appends `text` so that a terminal shows it as one line of plain characters: escape
// sequences are removed, newlines and tabs become spaces (CRLF one space), other C0/C1
// controls and bytes that are not UTF-8 become U+FFFD. The output is valid UTF-8, so it
// never holds 0xFF, which the telnet peer would read as IAC.
void append_for_terminal(std::string_view text, std::string& out) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte == kEsc) {
            i = skip_escape(text, i);
        } else if (byte == '\r' || byte == '\n' || byte == '\t') {
            out.push_back(' ');
            i += (byte == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
        } else if (byte < 0x20 || byte == 0x7F) {
            out.append(kReplacement);
            ++i;
        } else if (byte < 0x80) {
            out.push_back(static_cast<char>(byte));
            ++i;
        } else {
            char32_t cp = 0;
            std::size_t length = utf8_sequence(text, i, cp);
            if (length == 0) {
                out.append(kReplacement);  // one per bad byte: simple, and never loses a good one
                ++i;
            } else {
                // C1 controls (U+0080-U+009F) include CSI U+009B, which some terminals obey.
                out.append(cp <= 0x9F ? kReplacement : text.substr(i, length));
                i += length;
            }
        }
    }
}

std::string telnet_line(std::string_view who, std::string_view text) {
    std::string out;
    out.reserve(who.size() + text.size() + 6);
    out.push_back('[');
    append_for_terminal(who, out);
    out.append("]: ");
    append_for_terminal(text, out);
    out.append("\r\n");
    return out;
}

}  // namespace

std::string line_to_ws_json(std::string_view nick, std::string_view text) {
    json line = {{"nick", std::string(nick)}, {"text", std::string(text)}, {"via", "telnet"}};
    // Telnet bytes are whatever the user's terminal sent (maybe Latin-1); `replace` turns
    // invalid UTF-8 into U+FFFD instead of throwing, so the result is always a valid text frame.
    return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string render_for_telnet(std::string_view payload, bool is_text) {
    if (!is_text) {
        return "[ws]: <binary, " + std::to_string(payload.size()) + " bytes>\r\n";
    }
    // No exceptions: a parse failure gives a `discarded` value (invalid UTF-8 included).
    json parsed = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
        auto nick = parsed.find("nick");
        auto text = parsed.find("text");
        if (nick != parsed.end() && nick->is_string() && text != parsed.end() &&
            text->is_string()) {
            return telnet_line(nick->get_ref<const std::string&>(),
                               text->get_ref<const std::string&>());
        }
    }
    return telnet_line("ws", payload);
}

bool is_valid_nick(std::string_view nick) {
    if (nick.empty() || nick.size() > kMaxNickBytes) return false;
    for (char c : nick) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace confab::telnet
