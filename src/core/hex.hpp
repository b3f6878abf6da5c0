// Lower-case hex of bytes: signatures, ids. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>

namespace confab {

// Appends two lower-case hex digits per byte of bytes[0, size) to `out`.
inline void append_hex(std::string& out, const unsigned char* bytes, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.reserve(out.size() + size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 0x0f]);
    }
}

}  // namespace confab
