// permessage-deflate (RFC 7692): negotiation, and Inflater/Deflater round trips and limits.
#include "ws/deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace confab::ws {
namespace {

std::string sample_text(std::size_t n, unsigned seed = 1) {
    // Words from a small vocabulary: compressible, with matches at many distances.
    static const char* kWords[] = {"room ", "hello ",        "message ", "confab ", "world ",
                                   "42 ",   "\xE2\x82\xAC ", "zebra ",   "quick "};
    std::mt19937 rng(seed);
    std::string s;
    while (s.size() < n) s += kWords[rng() % 9];
    s.resize(n);
    return s;
}

std::string inflate_all(Inflater& in, std::string_view z, std::size_t max = 1 << 24) {
    std::string out;
    auto ok = in.inflate(z, true, out, max);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
    return out;
}

// ---- compression ----

TEST(Deflate, CompressesHelloLikeRfc7692Example) {
    // RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00.
    Deflater d(15, true);
    EXPECT_EQ(d.deflate("Hello"), std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7));
}

TEST(Deflate, ContextTakeoverReusesTheWindowLikeRfc7692Example) {
    // RFC 7692 §7.2.3.2: the second "Hello" becomes f2 00 11 00 00.
    Deflater d(15, false);
    d.deflate("Hello");
    EXPECT_EQ(d.deflate("Hello"), std::string("\xf2\x00\x11\x00\x00", 5));
}

TEST(Deflate, NoContextTakeoverMakesEveryMessageSelfContained) {
    Deflater d(15, true);
    const std::string first = d.deflate("Hello");
    EXPECT_EQ(d.deflate("Hello"), first);
    // Each output inflates on a fresh stream: a shared frame works for every receiver.
    Inflater fresh(15, true);
    EXPECT_EQ(inflate_all(fresh, first), "Hello");
}

TEST(Deflate, OutputOmitsTheSyncFlushTail) {
    Deflater d(15, true);
    const std::string z = d.deflate(sample_text(1000));
    ASSERT_GE(z.size(), 4u);
    EXPECT_NE(z.substr(z.size() - 4), std::string("\x00\x00\xFF\xFF", 4));
}

TEST(Deflate, EmptyMessageIsOneEmptyBlock) {
    Deflater d(15, false);
    d.deflate("prime the window");
    EXPECT_EQ(d.deflate(""), std::string(1, '\0'));
    Inflater in(15, false);
    EXPECT_EQ(inflate_all(in, std::string(1, '\0')), "");
}

TEST(Deflate, RoundTripsEveryWindowSizeWithAndWithoutContextTakeover) {
    for (int bits = 8; bits <= 15; ++bits) {
        for (bool nct : {false, true}) {
            SCOPED_TRACE(testing::Message() << "bits " << bits << " nct " << nct);
            Deflater d(bits, nct);
            Inflater in(bits, nct);
            for (unsigned m = 0; m < 5; ++m) {
                const std::string msg = sample_text(100 + 3000 * m, m);
                ASSERT_EQ(inflate_all(in, d.deflate(msg)), msg);
            }
        }
    }
}

TEST(Deflate, ContextTakeoverShrinksRepeatedMessages) {
    const std::string msg = sample_text(2000);
    Deflater with(15, false), without(15, true);
    with.deflate(msg);
    without.deflate(msg);
    EXPECT_LT(with.deflate(msg).size() * 4, without.deflate(msg).size());
}

TEST(Deflate, EightBitWindowNeverReachesFurtherThan256Bytes) {
    // zlib cannot compress raw deflate with a 256-byte window; what we send instead must still
    // inflate in a strict 256-byte window, even when output is taken one byte at a time.
    std::string block = sample_text(300, 7);
    const std::string msg = block + block + block;  // repeats 300 bytes back
    Deflater d(8, true);
    std::string z = d.deflate(msg) + std::string("\x00\x00\xFF\xFF", 4);

    z_stream s{};
    ASSERT_EQ(inflateInit2(&s, -8), Z_OK);
    s.next_in = reinterpret_cast<Bytef*>(z.data());
    s.avail_in = static_cast<uInt>(z.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        unsigned char byte;
        s.next_out = &byte;
        s.avail_out = 1;
        rc = inflate(&s, Z_SYNC_FLUSH);
        if (s.avail_out == 0) out.push_back(static_cast<char>(byte));
    }
    inflateEnd(&s);
    EXPECT_EQ(rc, Z_BUF_ERROR) << (s.msg ? s.msg : "");  // stopped for lack of input only
    EXPECT_EQ(out, msg);
}

// ---- decompression ----

TEST(Inflate, InflatesMessageSplitIntoFragments) {
    Deflater d(15, false);
    Inflater in(15, false);
    for (unsigned m = 0; m < 3; ++m) {
        const std::string msg = sample_text(20000, m);
        const std::string z = d.deflate(msg);
        std::string out;
        for (std::size_t pos = 0; pos < z.size(); pos += 97) {
            const bool last = pos + 97 >= z.size();
            ASSERT_TRUE(in.inflate(std::string_view(z).substr(pos, 97), last, out, 1 << 20));
        }
        EXPECT_EQ(out, msg);
    }
}

TEST(Inflate, AppendsToExistingOutput) {
    Deflater d(15, true);
    Inflater in(15, true);
    std::string out = "prefix:";
    ASSERT_TRUE(in.inflate(d.deflate("body"), true, out, 100));
    EXPECT_EQ(out, "prefix:body");
}

TEST(Inflate, RejectsDecompressionBombWithoutInflatingIt) {
    Deflater d(15, true);
    const std::string bomb = d.deflate(std::string(10 << 20, '\0'));
    ASSERT_LT(bomb.size(), 64u << 10);
    Inflater in(15, true);
    std::string out;
    auto result = in.inflate(bomb, true, out, 1 << 20);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::TooLarge);
    EXPECT_LE(out.size(), (1u << 20) + 1);
}

TEST(Inflate, AcceptsOutputExactlyAtLimitAndRejectsOneMore) {
    Deflater d(15, true);
    const std::string z = d.deflate(std::string(5000, 'x'));
    Inflater in(15, true);
    std::string out;
    EXPECT_TRUE(in.inflate(z, true, out, 5000));
    EXPECT_EQ(out.size(), 5000u);
    out.clear();
    auto result = in.inflate(z, true, out, 4999);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::TooLarge);
}

TEST(Inflate, LimitCountsBytesAlreadyInTheOutput) {
    Deflater d(15, true);
    Inflater in(15, true);
    std::string out(90, 'o');
    auto result = in.inflate(d.deflate(std::string(20, 'n')), true, out, 100);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::TooLarge);
}

TEST(Inflate, RejectsCorruptData) {
    Inflater in(15, true);
    std::string out;
    auto result = in.inflate("\xFF\xFF\xFF\xFF", true, out, 1000);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::ProtocolViolation);
}

TEST(Inflate, StaysUsableAfterAFailure) {
    Inflater in(15, false);
    std::string out;
    ASSERT_FALSE(in.inflate("\xFF\xFF\xFF\xFF", true, out, 1000));
    Deflater d(15, false);
    out.clear();
    ASSERT_TRUE(in.inflate(d.deflate("again"), true, out, 1000));
    EXPECT_EQ(out, "again");
}

TEST(Inflate, AcceptsMessageEndingWithFinalBlock) {
    // RFC 7692 §7.2.3.5: "Hello" in a block with BFINAL set, then a second message.
    Inflater in(15, false);
    std::string out;
    ASSERT_TRUE(in.inflate(std::string("\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8), true, out, 100));
    EXPECT_EQ(out, "Hello");
    out.clear();
    ASSERT_TRUE(in.inflate(std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7), true, out, 100));
    EXPECT_EQ(out, "Hello");
}

// ---- negotiation ----

TEST(NegotiateDeflate, AcceptsPlainOffer) {
    auto n = negotiate_deflate("permessage-deflate");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->response_header, "permessage-deflate; server_no_context_takeover");
    EXPECT_TRUE(n->params.server_no_context_takeover);
    EXPECT_FALSE(n->params.client_no_context_takeover);
    EXPECT_EQ(n->params.server_max_window_bits, 15);
    EXPECT_EQ(n->params.client_max_window_bits, 15);
}

TEST(NegotiateDeflate, OmitsClientWindowBitsOfferedWithoutValue) {
    // What browsers send (RFC 7692 §7.1.2.2): we set no limit, so the client keeps 15.
    auto n = negotiate_deflate("permessage-deflate; client_max_window_bits");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->response_header, "permessage-deflate; server_no_context_takeover");
    EXPECT_EQ(n->params.client_max_window_bits, 15);
}

TEST(NegotiateDeflate, AnswersEveryRequestedParameter) {
    auto n = negotiate_deflate(
        "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=9; server_no_context_takeover");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->response_header,
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
              "server_max_window_bits=10; client_max_window_bits=9");
    EXPECT_TRUE(n->params.client_no_context_takeover);
    EXPECT_EQ(n->params.server_max_window_bits, 10);
    EXPECT_EQ(n->params.client_max_window_bits, 9);
}

TEST(NegotiateDeflate, AcceptsFirstOfSeveralValidOffers) {
    auto n = negotiate_deflate(
        "permessage-deflate; client_max_window_bits, "
        "permessage-deflate; server_max_window_bits=10; client_no_context_takeover");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->response_header, "permessage-deflate; server_no_context_takeover");
    EXPECT_EQ(n->params.server_max_window_bits, 15);
    EXPECT_FALSE(n->params.client_no_context_takeover);
}

TEST(NegotiateDeflate, FallsBackToNextOfferWhenOneIsInvalid) {
    auto n = negotiate_deflate(
        "permessage-deflate; server_max_window_bits=16, "
        "permessage-deflate; server_max_window_bits=12");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->params.server_max_window_bits, 12);
    EXPECT_EQ(n->response_header,
              "permessage-deflate; server_no_context_takeover; server_max_window_bits=12");
}

TEST(NegotiateDeflate, AcceptsQuotedValues) {
    auto n = negotiate_deflate(
        "permessage-deflate; server_max_window_bits=\"10\"; client_max_window_bits=\"8\"");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->params.server_max_window_bits, 10);
    EXPECT_EQ(n->params.client_max_window_bits, 8);
}

TEST(NegotiateDeflate, DeclinesUnknownParameter) {
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; mystery"));
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; mystery=1"));
}

TEST(NegotiateDeflate, DeclinesDuplicateParameters) {
    EXPECT_FALSE(negotiate_deflate(
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover"));
    EXPECT_FALSE(negotiate_deflate(
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"));
    EXPECT_FALSE(
        negotiate_deflate("permessage-deflate; client_max_window_bits; client_max_window_bits"));
    EXPECT_FALSE(negotiate_deflate(
        "permessage-deflate; server_no_context_takeover; Server_No_Context_Takeover"));
}

TEST(NegotiateDeflate, DeclinesOutOfRangeOrMalformedWindowBits) {
    for (const char* v : {"7", "16", "0", "010", "08", "1O", "abc", "\"\"", "-9", "15.0"}) {
        EXPECT_FALSE(
            negotiate_deflate(std::string("permessage-deflate; server_max_window_bits=") + v))
            << v;
        EXPECT_FALSE(
            negotiate_deflate(std::string("permessage-deflate; client_max_window_bits=") + v))
            << v;
    }
}

TEST(NegotiateDeflate, DeclinesServerWindowBitsWithoutValue) {
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits"));
}

TEST(NegotiateDeflate, DeclinesValueOnFlagParameters) {
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_no_context_takeover=1"));
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; client_no_context_takeover=\"\""));
}

TEST(NegotiateDeflate, SkipsOtherExtensions) {
    auto n = negotiate_deflate("x-webkit-deflate-frame; no_context_takeover, permessage-deflate");
    ASSERT_TRUE(n);
    EXPECT_FALSE(negotiate_deflate("x-webkit-deflate-frame, deflate-frame"));
}

TEST(NegotiateDeflate, ReturnsNothingForEmptyOrGarbageHeaders) {
    EXPECT_FALSE(negotiate_deflate(""));
    EXPECT_FALSE(negotiate_deflate(" , ,"));
    EXPECT_FALSE(negotiate_deflate(";;;"));
    EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=\"10"));
    EXPECT_FALSE(negotiate_deflate("permessage-deflate server_max_window_bits"));
}

TEST(NegotiateDeflate, MalformedOfferDoesNotHideLaterOffers) {
    auto n = negotiate_deflate(
        "permessage-deflate; =oops, foo; bar=\"a, b; c\", permessage-deflate; "
        "client_no_context_takeover");
    ASSERT_TRUE(n);
    EXPECT_TRUE(n->params.client_no_context_takeover);
}

TEST(NegotiateDeflate, ToleratesWhitespaceAndCase) {
    auto n = negotiate_deflate(
        "  Permessage-Deflate ;\tSERVER_MAX_WINDOW_BITS = 11 ;client_no_context_takeover  ");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->params.server_max_window_bits, 11);
    EXPECT_TRUE(n->params.client_no_context_takeover);
}

TEST(NegotiateDeflate, AlwaysAnswersServerNoContextTakeover) {
    for (const char* offer :
         {"permessage-deflate", "permessage-deflate; server_no_context_takeover",
          "permessage-deflate; client_max_window_bits=12"}) {
        auto n = negotiate_deflate(offer);
        ASSERT_TRUE(n) << offer;
        EXPECT_TRUE(n->params.server_no_context_takeover);
        EXPECT_EQ(n->response_header.rfind("permessage-deflate; server_no_context_takeover", 0),
                  0u);
    }
}

}  // namespace
}  // namespace confab::ws
