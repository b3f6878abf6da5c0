// Incremental UTF-8 validation (RFC 3629) for text messages that arrive in pieces.
// Pure; one instance per message stream, any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace confab::ws {

class Utf8Validator {
public:
    // Feeds the next bytes. Returns false as soon as the bytes so far cannot be the
    // beginning of valid UTF-8 (fail fast: overlongs, surrogates, > U+10FFFF, bad bytes).
    bool feed(std::string_view bytes);
    // True if everything fed so far is complete, valid UTF-8 (not inside a sequence).
    bool complete() const { return state_ == 0; }
    void reset() { state_ = 0; }

private:
    std::uint32_t state_ = 0;  // DFA state: 0 accept, 1 reject, else mid-sequence
};

bool is_valid_utf8(std::string_view bytes);

}  // namespace confab::ws
