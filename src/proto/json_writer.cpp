#include "proto/json_writer.hpp"

#include <cstddef>

#include "core/utf8_sequence.hpp"

namespace confab::proto {

namespace {


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
