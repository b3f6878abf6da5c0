// The header the bench puts at the front of every message it sends, so that any receiver
// can tell who sent it, in which order, and when. Host byte order: only the bench reads it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace confab::bench {

struct PayloadHeader {
    std::uint32_t sender = 0;  // publisher (broadcast) or connection (echo) id
    std::uint32_t reserved = 0;
    std::uint64_t seq = 0;     // per sender, from 0, no gaps
    std::int64_t sent_ns = 0;  // CLOCK_MONOTONIC when queued for sending
};
static_assert(sizeof(PayloadHeader) == 24);

inline constexpr std::size_t kPayloadHeaderBytes = sizeof(PayloadHeader);

// Overwrites the first 24 bytes of `payload` (which must be at least that long).
inline void write_header(std::string& payload, const PayloadHeader& h) {
    std::memcpy(payload.data(), &h, sizeof h);
}

// False when the message is too short to be one of ours.
inline bool read_header(std::string_view payload, PayloadHeader& h) {
    if (payload.size() < sizeof h) return false;
    std::memcpy(&h, payload.data(), sizeof h);
    return true;
}

// The same header as text, for confab.v1, whose data is JSON: 40 lowercase hex digits
// (sender 8, seq 16, sent_ns 16) at the front of a data string.
inline constexpr std::size_t kTextHeaderBytes = 40;

// Overwrites the first 40 characters of `data` (which must be at least that long).
inline void write_text_header(std::string& data, const PayloadHeader& h) {
    constexpr char kHex[] = "0123456789abcdef";
    const auto put = [&](std::size_t at, std::uint64_t v, int digits) {
        for (int i = digits - 1; i >= 0; --i, v >>= 4) data[at + i] = kHex[v & 0xF];
    };
    put(0, h.sender, 8);
    put(8, h.seq, 16);
    put(24, static_cast<std::uint64_t>(h.sent_ns), 16);
}

namespace detail {
// Hex digit values, 0xFF for anything else: the load generator parses one header per
// delivery, millions per second, so one table lookup per digit instead of range tests.
inline constexpr auto kHexValue = [] {
    std::array<std::uint8_t, 256> t{};
    t.fill(0xFF);
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::uint8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::uint8_t>(c - 'a' + 10);
    return t;
}();
}  // namespace detail

// False when `data` does not start with a text header.
inline bool read_text_header(std::string_view data, PayloadHeader& h) {
    if (data.size() < kTextHeaderBytes) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::uint8_t bad = 0;  // any non-digit sets the high bit
    const auto field = [&](std::size_t at, int digits) {
        std::uint64_t v = 0;
        for (int i = 0; i < digits; ++i) {
            const std::uint8_t d = detail::kHexValue[p[at + i]];
            bad |= d;
            v = v << 4 | (d & 0xF);
        }
        return v;
    };
    const std::uint64_t sender = field(0, 8), seq = field(8, 16), sent = field(24, 16);
    if (bad & 0x80) return false;
    h = {.sender = static_cast<std::uint32_t>(sender),
         .seq = seq,
         .sent_ns = static_cast<std::int64_t>(sent)};
    return true;
}

// A payload of `size` bytes: room for the header, then a recognisable filler (letters, so
// that it is also a JSON string's content without escapes).
inline std::string make_payload(std::size_t size) {
    std::string p(size, '\0');
    for (std::size_t i = kPayloadHeaderBytes; i < size; ++i) p[i] = static_cast<char>('a' + i % 26);
    return p;
}

}  // namespace confab::bench
