#include "proto/json_writer.hpp"

#include <cstddef>

namespace confab::proto {

namespace {

bool in_range(unsigned char byte, unsigned char low, unsigned char high) {
    return byte >= low && byte <= high;
}

// Length of the valid UTF-8 sequence (RFC 3629 §4) starting with the non-ASCII byte at `at`,
// with its code point in `cp`; 0 if the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t at, char32_t& cp) {
    auto lead = static_cast<unsigned char>(s[at]);
    std::size_t length = 0;
    char32_t min = 0;
    if (in_range(lead, 0xC2, 0xDF)) {
        length = 2;
        min = 0x80;
        cp = lead & 0x1Fu;
    } else if (in_range(lead, 0xE0, 0xEF)) {
        length = 3;
        min = 0x800;
        cp = lead & 0x0Fu;
    } else if (in_range(lead, 0xF0, 0xF4)) {
        length = 4;
        min = 0x10000;
        cp = lead & 0x07u;
    } else {
        return 0;  // 0x80-0xC1 and 0xF5-0xFF never lead a sequence
    }
    if (at + length > s.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        auto next = static_cast<unsigned char>(s[at + k]);
        if (!in_range(next, 0x80, 0xBF)) return 0;
        cp = (cp << 6) | (next & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return length;
}

// The escape for an ASCII byte that JSON requires escaping; empty for bytes copied as is.
std::string_view short_escape(unsigned char c) {
    switch (c) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        default:
            return {};
    }
}

void append_u_escape(std::string& out, unsigned code) {
    constexpr char kHex[] = "0123456789abcdef";
    char buf[6] = {'\\',
                   'u',
                   kHex[(code >> 12) & 0xF],
                   kHex[(code >> 8) & 0xF],
                   kHex[(code >> 4) & 0xF],
                   kHex[code & 0xF]};
    out.append(buf, sizeof buf);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size() + 2);
    out.push_back('"');
    std::size_t run = 0;  // start of the bytes not yet copied; they need no escaping
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            char32_t cp = 0;
            std::size_t length = utf8_sequence(text, i, cp);
            if (length != 0 && cp != 0x2028 && cp != 0x2029) {
                i += length;
                continue;
            }
            out.append(text.substr(run, i - run));
            append_u_escape(out, length == 0 ? 0xFFFD : static_cast<unsigned>(cp));
            i += length == 0 ? 1 : length;
            run = i;
            continue;
        }
        out.append(text.substr(run, i - run));
        std::string_view escape = short_escape(c);
        if (escape.empty()) {
            append_u_escape(out, c);
        } else {
            out.append(escape);
        }
        run = ++i;
    }
    out.append(text.substr(run));
    out.push_back('"');
}

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

}  // namespace confab::proto
