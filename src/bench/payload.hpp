// The header the bench puts at the front of every message it sends, so that any receiver
// can tell who sent it, in which order, and when. Host byte order: only the bench reads it.
#pragma once

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

// A payload of `size` bytes: room for the header, then a recognisable filler.
inline std::string make_payload(std::size_t size) {
    std::string p(size, '\0');
    for (std::size_t i = kPayloadHeaderBytes; i < size; ++i) p[i] = static_cast<char>('a' + i % 26);
    return p;
}

}  // namespace confab::bench
