// Utf8Validator: incremental, fail-fast UTF-8 validation (RFC 3629).
#include "ws/utf8.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace confab::ws {
namespace {

std::string encode(std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

// A plain decoder written from RFC 3629 §3-4, independent of the DFA under test.
bool reference_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned lead = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp, min;
        if (lead < 0x80) {
            ++i;
            continue;
        } else if ((lead & 0xE0) == 0xC0) {
            len = 2, cp = lead & 0x1F, min = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            len = 3, cp = lead & 0x0F, min = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            len = 4, cp = lead & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

TEST(Utf8, AcceptsAsciiAndMultibyteText) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii, long enough to take the 8-byte path"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD"));
}

TEST(Utf8, AcceptsBoundaryCodePoints) {
    for (std::uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu,
                             0x10000u, 0x10FFFFu}) {
        EXPECT_TRUE(is_valid_utf8(encode(cp))) << std::hex << cp;
    }
}

TEST(Utf8, RejectsOverlongEncodings) {
    EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
    EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
}

TEST(Utf8, RejectsSurrogates) {
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));              // U+D800
    EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));              // U+DFFF
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair
}

TEST(Utf8, RejectsCodePointsAboveU10FFFF) {
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xF7\xBF\xBF\xBF"));
}

TEST(Utf8, RejectsBytesThatNeverAppear) {
    for (int b = 0xF5; b <= 0xFF; ++b) {
        EXPECT_FALSE(is_valid_utf8(std::string(1, static_cast<char>(b)) + "\x80\x80\x80")) << b;
    }
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("ab\xBF"));
}

TEST(Utf8, RejectsTruncatedSequenceAtEnd) {
    EXPECT_FALSE(is_valid_utf8("\xC3"));
    EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));
    EXPECT_FALSE(is_valid_utf8("\xE2\x82x"));  // continuation replaced by ASCII
}

TEST(Utf8, IncompleteIsNotInvalidUntilItCannotContinue) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed("ok \xF0\x9F"));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed("\x98"));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed("\x80 done"));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, FailsAtTheFirstImpossibleByte) {
    struct Case {
        std::string good_prefix;
        char bad_byte;
    };
    const Case cases[] = {
        {"", '\xC0'},     {"", '\xF5'},  {"\xE0", '\x9F'},     {"\xED", '\xA0'}, {"\xF0", '\x8F'},
        {"\xF4", '\x90'}, {"\xC3", 'x'}, {"\xE2\x82", '\xC0'}, {"", '\x80'},
    };
    for (const auto& c : cases) {
        Utf8Validator v;
        EXPECT_TRUE(v.feed(c.good_prefix));
        EXPECT_FALSE(v.feed(std::string(1, c.bad_byte))) << int(c.bad_byte & 0xFF);
    }
}

TEST(Utf8, StaysFailedAfterRejecting) {
    Utf8Validator v;
    EXPECT_FALSE(v.feed("\xFF"));
    EXPECT_FALSE(v.feed("fine"));
    EXPECT_FALSE(v.feed(""));
    EXPECT_FALSE(v.complete());
    v.reset();
    EXPECT_TRUE(v.feed("fine"));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, FindsInvalidByteAfterLongAsciiRun) {
    // The 8-byte ASCII skip must not jump over a bad byte in any position.
    for (std::size_t at = 0; at < 24; ++at) {
        std::string s(24, 'a');
        s[at] = '\xFF';
        EXPECT_FALSE(is_valid_utf8(s)) << at;
    }
}

TEST(Utf8, AcceptsEveryScalarValueAndNoSurrogate) {
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        ASSERT_EQ(is_valid_utf8(encode(cp)), !surrogate) << std::hex << cp;
    }
}

TEST(Utf8, AgreesWithReferenceOnAllShortStrings) {
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            const std::string s{static_cast<char>(a), static_cast<char>(b)};
            ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b;
            // Three bytes, for every lead byte that starts a multi-byte sequence.
            if (a < 0xC0) continue;
            for (int c = 0; c < 256; c += (c >= 0x7C && c <= 0xC4) ? 1 : 7) {
                const std::string t = s + static_cast<char>(c);
                ASSERT_EQ(is_valid_utf8(t), reference_valid(t)) << a << " " << b << " " << c;
            }
        }
    }
}

TEST(Utf8, RejectsAsSoonAsNoValidContinuationExists) {
    // Every proper prefix of a valid encoding must be accepted as "so far so good"; every
    // byte that turns such a prefix into something no valid text starts with, rejected.
    std::set<std::string> prefixes{""};
    // A proper prefix never includes the last byte, which holds the low 6 bits: one code
    // point per 64 covers them all.
    for (std::uint32_t cp = 0x80; cp <= 0x10FFFF; cp += 64) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        const std::string e = encode(cp);
        for (std::size_t k = 1; k < e.size(); ++k) prefixes.insert(e.substr(0, k));
    }
    for (const auto& p : prefixes) {
        // Three-byte prefixes only differ in their last continuation byte: test its extremes.
        const unsigned char last = p.empty() ? 0 : static_cast<unsigned char>(p.back());
        if (p.size() == 3 && last != 0x80 && last != 0xBF) continue;
        for (int b = 0; b < 256; ++b) {
            const std::string next = p + static_cast<char>(b);
            const bool viable = prefixes.count(next) > 0 || reference_valid(next);
            Utf8Validator v;
            ASSERT_TRUE(v.feed(p));
            ASSERT_EQ(v.feed(std::string(1, static_cast<char>(b))), viable)
                << "prefix size " << p.size() << " byte " << b;
        }
    }
}

}  // namespace
}  // namespace confab::ws
