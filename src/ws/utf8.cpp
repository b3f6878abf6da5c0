#include "ws/utf8.hpp"

#include <array>
#include <cstring>

namespace confab::ws {
namespace {

// A byte-class DFA in the style of Björn Höhrmann's decoder: every byte is first mapped to
// one of a few classes, then (state, class) → state. The states encode exactly which
// continuation bytes may follow, so overlongs, surrogates and code points above U+10FFFF are
// rejected at the first byte that makes them so (RFC 3629 §4 syntax), never later.
enum ByteClass : std::uint8_t {
    kAscii,    // 00..7F
    kCont80,   // 80..8F continuation
    kCont90,   // 90..9F continuation
    kContA0,   // A0..BF continuation
    kInvalid,  // C0, C1 (always overlong), F5..FF (beyond U+10FFFF)
    kLead2,    // C2..DF
    kLeadE0,   // E0: the next byte must be A0..BF (else overlong)
    kLead3,    // E1..EC, EE, EF
    kLeadED,   // ED: the next byte must be 80..9F (else a surrogate U+D800..U+DFFF)
    kLeadF0,   // F0: the next byte must be 90..BF (else overlong)
    kLead4,    // F1..F3
    kLeadF4,   // F4: the next byte must be 80..8F (else above U+10FFFF)
    kClassCount,
};

// kAccept and kReject match the values documented next to Utf8Validator::state_.
enum DfaState : std::uint8_t {
    kAccept = 0,
    kReject = 1,
    kNeed1,  // one more continuation byte
    kNeed2,  // two more
    kNeed3,  // three more
    kAfterE0,
    kAfterED,
    kAfterF0,
    kAfterF4,
    kStateCount,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> c{};
    auto fill = [&c](int first, int last, ByteClass cls) {
        for (int b = first; b <= last; ++b) c[b] = cls;
    };
    fill(0x00, 0x7F, kAscii);
    fill(0x80, 0x8F, kCont80);
    fill(0x90, 0x9F, kCont90);
    fill(0xA0, 0xBF, kContA0);
    fill(0xC0, 0xC1, kInvalid);
    fill(0xC2, 0xDF, kLead2);
    fill(0xE0, 0xE0, kLeadE0);
    fill(0xE1, 0xEC, kLead3);
    fill(0xED, 0xED, kLeadED);
    fill(0xEE, 0xEF, kLead3);
    fill(0xF0, 0xF0, kLeadF0);
    fill(0xF1, 0xF3, kLead4);
    fill(0xF4, 0xF4, kLeadF4);
    fill(0xF5, 0xFF, kInvalid);
    return c;
}

using Transitions = std::array<std::array<std::uint8_t, kClassCount>, kStateCount>;

constexpr Transitions make_transitions() {
    Transitions t{};
    for (auto& row : t) row.fill(kReject);
    t[kAccept][kAscii] = kAccept;
    t[kAccept][kLead2] = kNeed1;
    t[kAccept][kLeadE0] = kAfterE0;
    t[kAccept][kLead3] = kNeed2;
    t[kAccept][kLeadED] = kAfterED;
    t[kAccept][kLeadF0] = kAfterF0;
    t[kAccept][kLead4] = kNeed3;
    t[kAccept][kLeadF4] = kAfterF4;
    for (auto cont : {kCont80, kCont90, kContA0}) {
        t[kNeed1][cont] = kAccept;
        t[kNeed2][cont] = kNeed1;
        t[kNeed3][cont] = kNeed2;
    }
    t[kAfterE0][kContA0] = kNeed1;
    t[kAfterED][kCont80] = kNeed1;
    t[kAfterED][kCont90] = kNeed1;
    t[kAfterF0][kCont90] = kNeed2;
    t[kAfterF0][kContA0] = kNeed2;
    t[kAfterF4][kCont80] = kNeed2;
    return t;
}

constexpr auto kClasses = make_classes();
constexpr auto kTransitions = make_transitions();

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
    if (state_ == kReject) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::uint32_t state = state_;
    std::size_t i = 0;
    while (i < n) {
        if (state == kAccept) {
            // Chat text is mostly ASCII: skip it 8 bytes at a time between sequences.
            while (i + 8 <= n) {
                std::uint64_t word;
                std::memcpy(&word, p + i, sizeof word);
                if (word & kHighBits) break;
                i += 8;
            }
            if (i == n) break;
        }
        state = kTransitions[state][kClasses[p[i]]];
        if (state == kReject) {
            state_ = kReject;
            return false;
        }
        ++i;
    }
    state_ = state;
    return true;
}

bool is_valid_utf8(std::string_view bytes) {
    Utf8Validator v;
    return v.feed(bytes) && v.complete();
}

}  // namespace confab::ws
