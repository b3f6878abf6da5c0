// Decoding one UTF-8 sequence (RFC 3629 §4), for code that rewrites text byte by byte (JSON
// escaping, terminal sanitizing). Validation of whole messages is ws::Utf8Validator's job.
#pragma once

#include <cstddef>
#include <string_view>

namespace confab {

// Length of the valid UTF-8 sequence starting with the non-ASCII byte at `at`, with its code
// point in `cp`; 0 if the bytes there are not one (bad lead byte, overlong, surrogate,
// > U+10FFFF, cut off by the end of `s`).
constexpr std::size_t utf8_sequence(std::string_view s, std::size_t at, char32_t& cp) {
    auto in_range = [](unsigned char b, unsigned char low, unsigned char high) {
        return b >= low && b <= high;
    };
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

}  // namespace confab
