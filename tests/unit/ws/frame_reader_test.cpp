// FrameReader: RFC 6455 framing rules, splitting, and RFC 7692 decompression on the read path.
#include "ws/frame_reader.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "ws/close_code.hpp"
#include "ws/deflate.hpp"
#include "ws/frame_writer.hpp"

// Counts heap allocations so a test can prove the whole-frame path allocates nothing.
// Replacing the global operator new affects the whole test binary, but only by counting.
namespace {
std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_frees{0};
std::size_t live_allocations() { return g_allocations.load() - g_frees.load(); }
}  // namespace

// GCC cannot see that this operator delete pairs with the operator new above.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    if (p) g_frees.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    if (p) g_frees.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
// The nothrow forms too (simdjson allocates with them): under ASan the default ones would
// allocate with ASan's operator new, and the delete above would then free() it.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    if (p) g_frees.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}

namespace confab::ws {
namespace {

constexpr std::uint32_t kMask = 0x37FA213D;  // the RFC 6455 §5.7 example key

struct Event {
    enum class Kind { Message, Ping, Pong, Close } kind;
    Opcode op = Opcode::Continuation;
    std::string payload;
    std::uint16_t code = 0;
    bool operator==(const Event&) const = default;
};

void PrintTo(const Event& e, std::ostream* os) {
    static const char* kKinds[] = {"message", "ping", "pong", "close"};
    *os << kKinds[static_cast<int>(e.kind)] << "(op=" << static_cast<int>(e.op)
        << ", code=" << e.code << ", " << e.payload.size() << " bytes: \""
        << e.payload.substr(0, 40) << "\")";
}

Event text(std::string p) { return {Event::Kind::Message, Opcode::Text, std::move(p), 0}; }
Event binary(std::string p) { return {Event::Kind::Message, Opcode::Binary, std::move(p), 0}; }
Event ping(std::string p) { return {Event::Kind::Ping, Opcode::Ping, std::move(p), 0}; }
Event pong(std::string p) { return {Event::Kind::Pong, Opcode::Pong, std::move(p), 0}; }
Event closed(std::uint16_t code, std::string reason) {
    return {Event::Kind::Close, Opcode::Close, std::move(reason), code};
}

class Recorder : public FrameHandler {
public:
    void on_message(Opcode op, std::string_view p) override {
        events.push_back({Event::Kind::Message, op, std::string(p), 0});
        last_view = p;
    }
    void on_ping(std::string_view p) override {
        events.push_back(ping(std::string(p)));
        last_view = p;
    }
    void on_pong(std::string_view p) override { events.push_back(pong(std::string(p))); }
    void on_close(std::uint16_t code, std::string_view reason) override {
        events.push_back(closed(code, std::string(reason)));
    }

    std::vector<Event> events;
    std::string_view last_view;  // only its address is meaningful after the call
};

using FeedResult = tl::expected<void, ReadError>;

std::string frame(Opcode op, std::string_view payload, Fin fin = Fin::Yes,
                  Compressed compressed = Compressed::No) {
    return encode_client_frame(op, payload, kMask, fin, compressed);
}

enum class LengthForm { Minimal, Force16, Force64 };

// A masked frame with any first byte and length encoding, for frames the writer won't make.
std::string raw_frame(std::uint8_t b0, std::string_view payload,
                      LengthForm form = LengthForm::Minimal, bool masked = true) {
    std::string out(1, static_cast<char>(b0));
    const std::uint8_t mask_bit = masked ? 0x80 : 0;
    const std::uint64_t n = payload.size();
    if (form == LengthForm::Minimal && n < 126) {
        out.push_back(static_cast<char>(mask_bit | n));
    } else if (form == LengthForm::Force16 || (form == LengthForm::Minimal && n <= 0xFFFF)) {
        out.push_back(static_cast<char>(mask_bit | 126));
        for (int i = 1; i >= 0; --i) out.push_back(static_cast<char>(n >> (8 * i)));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(n >> (8 * i)));
    }
    const char key[4] = {'\x37', '\xFA', '\x21', '\x3D'};
    if (masked) out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
    }
    return out;
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

FeedResult feed(FrameReader& r, std::string_view wire, FrameHandler& h) {
    auto buf = bytes_of(wire);
    return r.feed(buf, h);
}

// Feeds one buffer in consecutive pieces of the given sizes (the last size repeats).
FeedResult feed_in_pieces(FrameReader& r, std::string_view wire, FrameHandler& h,
                          const std::vector<std::size_t>& sizes) {
    auto buf = bytes_of(wire);
    std::size_t pos = 0, i = 0;
    while (pos < buf.size()) {
        const std::size_t n = std::min(sizes[std::min(i++, sizes.size() - 1)], buf.size() - pos);
        auto ok = r.feed(std::span(buf).subspan(pos, n), h);
        if (!ok) return ok;
        pos += n;
    }
    return {};
}

std::uint16_t code_of(const FeedResult& r) { return r ? 0 : r.error().close_code; }

// Feeds `wire` to a fresh server reader; returns the violation's close code, 0 for none.
std::uint16_t violation_of(std::string_view wire, ReaderLimits limits = {},
                           bool with_deflate = false) {
    FrameReader r(Role::Server, limits);
    if (with_deflate) r.enable_deflate(DeflateParams{});
    Recorder rec;
    return code_of(feed(r, wire, rec));
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + i / 251) & 0xFF);
    return s;
}

std::string close_body(std::uint16_t code, std::string_view reason = {}) {
    std::string b{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return b.append(reason);
}

// ---- RFC examples and length forms ----

TEST(FrameReader, DecodesRfcMaskedHelloExample) {
    // RFC 6455 §5.7: a single-frame masked text message containing "Hello".
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed(r, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", rec));
    EXPECT_EQ(rec.events, std::vector<Event>{text("Hello")});
}

TEST(FrameReader, ClientRoleDecodesRfcUnmaskedExamples) {
    // RFC 6455 §5.7: unmasked text, a fragmented text message, and an unmasked ping.
    FrameReader r(Role::Client);
    Recorder rec;
    ASSERT_TRUE(feed(r, std::string("\x81\x05Hello", 7), rec));
    ASSERT_TRUE(feed(r, std::string("\x01\x03Hel\x80\x02lo", 9), rec));
    ASSERT_TRUE(feed(r, std::string("\x89\x05Hello", 7), rec));
    EXPECT_EQ(rec.events, (std::vector<Event>{text("Hello"), text("Hello"), ping("Hello")}));
}

TEST(FrameReader, DecodesEveryLengthForm) {
    for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 1u << 20}) {
        SCOPED_TRACE(size);
        FrameReader r(Role::Server, ReaderLimits{1 << 20});
        Recorder rec;
        const std::string payload = pattern(size);
        ASSERT_TRUE(feed(r, frame(Opcode::Binary, payload), rec));
        ASSERT_EQ(rec.events.size(), 1u);
        EXPECT_TRUE(rec.events[0] == binary(payload));
        EXPECT_TRUE(r.idle());
    }
}

TEST(FrameReader, AcceptsMessageExactlyAtLimitAndRejectsOneMore) {
    EXPECT_EQ(violation_of(frame(Opcode::Binary, pattern(1000)), ReaderLimits{1000}), 0);
    EXPECT_EQ(violation_of(frame(Opcode::Binary, pattern(1001)), ReaderLimits{1000}),
              close_code::kMessageTooBig);
}

TEST(FrameReader, DeliversWholeFrameWithoutCopy) {
    FrameReader r(Role::Server);
    Recorder rec;
    auto buf = bytes_of(frame(Opcode::Text, "in place, please") + frame(Opcode::Ping, "p"));
    ASSERT_TRUE(r.feed(buf, rec));
    ASSERT_EQ(rec.events.size(), 2u);
    const char* begin = reinterpret_cast<const char*>(buf.data());
    EXPECT_GE(rec.last_view.data(), begin);  // the ping, the last delivered
    EXPECT_LT(rec.last_view.data(), begin + buf.size());
    EXPECT_EQ(rec.events[0], text("in place, please"));
}

TEST(FrameReader, UnmasksInPlaceInTheCallersBuffer) {
    FrameReader r(Role::Server);
    Recorder rec;
    auto buf = bytes_of(frame(Opcode::Binary, "abcdefghijklmnopqrstuvwxyz"));
    ASSERT_TRUE(r.feed(buf, rec));
    const std::string tail(buf.end() - 26, buf.end());
    EXPECT_EQ(tail, "abcdefghijklmnopqrstuvwxyz");
}

class CountingHandler : public FrameHandler {
public:
    void on_message(Opcode, std::string_view p) override { bytes += p.size(); }
    void on_ping(std::string_view p) override { bytes += p.size(); }
    void on_pong(std::string_view p) override { bytes += p.size(); }
    void on_close(std::uint16_t, std::string_view) override {}
    std::size_t bytes = 0;
};

TEST(FrameReader, DoesNotAllocateForWholeFrames) {
    FrameReader r(Role::Server);
    CountingHandler h;
    auto buf = bytes_of(frame(Opcode::Binary, pattern(70000)) + frame(Opcode::Text, "hi") +
                        frame(Opcode::Ping, "p") + frame(Opcode::Text, std::string(300, 'x')));
    const std::size_t before = g_allocations.load();
    const bool ok = r.feed(buf, h).has_value();
    const std::size_t allocated = g_allocations.load() - before;
    EXPECT_TRUE(ok);
    EXPECT_EQ(allocated, 0u);
    EXPECT_EQ(h.bytes, 70000u + 2 + 1 + 300);
}

TEST(FrameReader, HoldsNoHeapStateBetweenMessages) {
    // Idle connections are most connections: between messages the reader must cost nothing
    // beyond its own few bytes.
    FrameReader r(Role::Server);
    CountingHandler h;
    auto whole = bytes_of(frame(Opcode::Text, std::string(300, 'x')));
    std::vector<std::uint8_t> first(whole.begin(), whole.begin() + 100);
    std::vector<std::uint8_t> rest(whole.begin() + 100, whole.end());
    const std::size_t live_before = live_allocations();
    ASSERT_TRUE(r.feed(first, h).has_value());
    EXPECT_GT(live_allocations(), live_before);  // mid-message: the state is kept
    EXPECT_FALSE(r.idle());
    ASSERT_TRUE(r.feed(rest, h).has_value());
    EXPECT_EQ(h.bytes, 300u);
    EXPECT_TRUE(r.idle());
    EXPECT_EQ(live_allocations(), live_before);
}

// ---- splitting ----

std::string mixed_stream() {
    return frame(Opcode::Text, "") + frame(Opcode::Binary, pattern(125)) +
           frame(Opcode::Binary, pattern(126)) + frame(Opcode::Text, "Hel", Fin::No) +
           frame(Opcode::Ping, "mid") + frame(Opcode::Continuation, "lo \xE2\x98", Fin::No) +
           frame(Opcode::Pong, "") + frame(Opcode::Continuation, "\x83!", Fin::Yes) +
           frame(Opcode::Binary, pattern(70000)) + frame(Opcode::Close, close_body(1000, "bye"));
}

std::vector<Event> mixed_events() {
    return {text(""), binary(pattern(125)),        binary(pattern(126)),   ping("mid"),
            pong(""), text("Hello \xE2\x98\x83!"), binary(pattern(70000)), closed(1000, "bye")};
}

TEST(FrameReader, DecodesMixedStreamFedWhole) {
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed(r, mixed_stream(), rec));
    EXPECT_EQ(rec.events, mixed_events());
}

TEST(FrameReader, SurvivesByteAtATimeFeeding) {
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed_in_pieces(r, mixed_stream(), rec, {1}));
    EXPECT_EQ(rec.events, mixed_events());
}

TEST(FrameReader, SurvivesRandomSplits) {
    std::mt19937 rng(42);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::size_t> sizes;
        for (int i = 0; i < 4000; ++i) sizes.push_back(1 + rng() % (round < 25 ? 16 : 3000));
        FrameReader r(Role::Server);
        Recorder rec;
        ASSERT_TRUE(feed_in_pieces(r, mixed_stream(), rec, sizes));
        ASSERT_EQ(rec.events, mixed_events()) << "round " << round;
    }
}

TEST(FrameReader, SurvivesEverySplitPointOfSmallFrames) {
    const std::string wire = frame(Opcode::Text, "Hel", Fin::No) + frame(Opcode::Ping, "x") +
                             frame(Opcode::Continuation, "lo") +
                             frame(Opcode::Binary, pattern(300));
    const std::vector<Event> want{ping("x"), text("Hello"), binary(pattern(300))};
    for (std::size_t split = 1; split < wire.size(); ++split) {
        FrameReader r(Role::Server);
        Recorder rec;
        ASSERT_TRUE(feed_in_pieces(r, wire, rec, {split, wire.size()}));
        ASSERT_EQ(rec.events, want) << "split at " << split;
    }
}

TEST(FrameReader, IsIdleOnlyBetweenFramesAndMessages) {
    FrameReader r(Role::Server);
    Recorder rec;
    EXPECT_TRUE(r.idle());
    const std::string whole = frame(Opcode::Binary, "abcdef");
    ASSERT_TRUE(feed(r, whole.substr(0, 1), rec));
    EXPECT_FALSE(r.idle());  // half a header
    ASSERT_TRUE(feed(r, whole.substr(1, 7), rec));
    EXPECT_FALSE(r.idle());  // header done, payload partial
    ASSERT_TRUE(feed(r, whole.substr(8), rec));
    EXPECT_TRUE(r.idle());
    ASSERT_TRUE(feed(r, frame(Opcode::Text, "a", Fin::No), rec));
    EXPECT_FALSE(r.idle());  // fragmented message open
    ASSERT_TRUE(feed(r, frame(Opcode::Continuation, "b"), rec));
    EXPECT_TRUE(r.idle());
    EXPECT_EQ(rec.events, (std::vector<Event>{binary("abcdef"), text("ab")}));
}

// ---- fragmentation and control frames ----

TEST(FrameReader, AssemblesFragmentsWithInterleavedControlFrames) {
    FrameReader r(Role::Server);
    Recorder rec;
    const std::string wire =
        frame(Opcode::Binary, "one-", Fin::No) + frame(Opcode::Ping, "ping!") +
        frame(Opcode::Continuation, "two-", Fin::No) + frame(Opcode::Pong, "pong!") +
        frame(Opcode::Continuation, "", Fin::No) + frame(Opcode::Continuation, "three");
    ASSERT_TRUE(feed(r, wire, rec));
    EXPECT_EQ(rec.events,
              (std::vector<Event>{ping("ping!"), pong("pong!"), binary("one-two-three")}));
}

TEST(FrameReader, AcceptsControlFrameOf125Bytes) {
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed(r, frame(Opcode::Ping, pattern(125)), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{ping(pattern(125))});
}

TEST(FrameReader, ReportsNoStatusForEmptyClose) {
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed(r, frame(Opcode::Close, ""), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{closed(close_code::kNoStatus, "")});
    EXPECT_TRUE(r.closed());
}

TEST(FrameReader, DeliversCloseCodeAndReason) {
    for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
        FrameReader r(Role::Server);
        Recorder rec;
        ASSERT_TRUE(feed(r, frame(Opcode::Close, close_body(code, "caf\xC3\xA9")), rec));
        EXPECT_EQ(rec.events, std::vector<Event>{closed(code, "caf\xC3\xA9")});
    }
}

TEST(FrameReader, IgnoresInputAfterClose) {
    FrameReader r(Role::Server);
    Recorder rec;
    // Garbage after the Close would be a violation if it were read.
    ASSERT_TRUE(feed(r, frame(Opcode::Close, close_body(1000)) + "\xFF\xFF\xFF", rec));
    ASSERT_TRUE(feed(r, frame(Opcode::Text, "late"), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{closed(1000, "")});
    EXPECT_TRUE(r.closed());
}

TEST(FrameReader, DropsPartialMessageWhenClosed) {
    FrameReader r(Role::Server);
    Recorder rec;
    ASSERT_TRUE(feed(r, frame(Opcode::Text, "half", Fin::No) + frame(Opcode::Close, ""), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{closed(close_code::kNoStatus, "")});
}

// ---- 1002: protocol errors ----

TEST(FrameReader, RejectsUnmaskedClientFrame) {
    EXPECT_EQ(violation_of(raw_frame(0x81, "hi", LengthForm::Minimal, false)),
              close_code::kProtocolError);
}

TEST(FrameReader, ClientRejectsMaskedServerFrame) {
    FrameReader r(Role::Client);
    Recorder rec;
    EXPECT_EQ(code_of(feed(r, frame(Opcode::Text, "hi"), rec)), close_code::kProtocolError);
}

TEST(FrameReader, RejectsReservedBits) {
    EXPECT_EQ(violation_of(raw_frame(0x81 | 0x40, "x")), close_code::kProtocolError);  // RSV1
    EXPECT_EQ(violation_of(raw_frame(0x81 | 0x20, "x")), close_code::kProtocolError);  // RSV2
    EXPECT_EQ(violation_of(raw_frame(0x81 | 0x10, "x")), close_code::kProtocolError);  // RSV3
    // RSV2/RSV3 stay reserved under permessage-deflate.
    EXPECT_EQ(violation_of(raw_frame(0x81 | 0x20, "x"), {}, true), close_code::kProtocolError);
}

TEST(FrameReader, RejectsReservedOpcodes) {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        EXPECT_EQ(violation_of(raw_frame(0x80 | op, "")), close_code::kProtocolError)
            << "opcode " << int(op);
    }
}

TEST(FrameReader, RejectsFragmentedControlFrame) {
    EXPECT_EQ(violation_of(raw_frame(0x09, "ping")), close_code::kProtocolError);
    EXPECT_EQ(violation_of(raw_frame(0x08, "")), close_code::kProtocolError);
}

TEST(FrameReader, RejectsControlFrameOver125Bytes) {
    EXPECT_EQ(violation_of(frame(Opcode::Ping, pattern(126))), close_code::kProtocolError);
    EXPECT_EQ(violation_of(frame(Opcode::Pong, pattern(1000))), close_code::kProtocolError);
    EXPECT_EQ(violation_of(frame(Opcode::Close, close_body(1000, pattern(124)))),
              close_code::kProtocolError);
}

TEST(FrameReader, RejectsContinuationWithoutMessage) {
    EXPECT_EQ(violation_of(frame(Opcode::Continuation, "x")), close_code::kProtocolError);
    EXPECT_EQ(violation_of(frame(Opcode::Text, "done") + frame(Opcode::Continuation, "x")),
              close_code::kProtocolError);
}

TEST(FrameReader, RejectsNewMessageInsideFragmentedOne) {
    EXPECT_EQ(violation_of(frame(Opcode::Text, "a", Fin::No) + frame(Opcode::Binary, "b")),
              close_code::kProtocolError);
    EXPECT_EQ(violation_of(frame(Opcode::Text, "a", Fin::No) + frame(Opcode::Text, "b")),
              close_code::kProtocolError);
}

TEST(FrameReader, RejectsNonMinimalLengths) {
    EXPECT_EQ(violation_of(raw_frame(0x82, pattern(125), LengthForm::Force16)),
              close_code::kProtocolError);
    EXPECT_EQ(violation_of(raw_frame(0x82, pattern(10), LengthForm::Force64)),
              close_code::kProtocolError);
    EXPECT_EQ(violation_of(raw_frame(0x82, pattern(65535), LengthForm::Force64)),
              close_code::kProtocolError);
    // The same lengths, minimally encoded, are fine.
    EXPECT_EQ(violation_of(raw_frame(0x82, pattern(65535))), 0);
    EXPECT_EQ(violation_of(raw_frame(0x82, pattern(126), LengthForm::Force16)), 0);
}

TEST(FrameReader, RejectsLengthWithTopBitSet) {
    const std::string header("\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01\x37\xFA\x21\x3D", 14);
    EXPECT_EQ(violation_of(header, ReaderLimits{SIZE_MAX}), close_code::kProtocolError);
}

TEST(FrameReader, RejectsOneByteClosePayload) {
    EXPECT_EQ(violation_of(frame(Opcode::Close, "\x03")), close_code::kProtocolError);
}

TEST(FrameReader, RejectsInvalidCloseCodes) {
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        EXPECT_EQ(violation_of(frame(Opcode::Close, close_body(code))), close_code::kProtocolError)
            << code;
    }
}

TEST(FrameReader, KeepsFailingAfterAViolation) {
    FrameReader r(Role::Server);
    Recorder rec;
    EXPECT_EQ(code_of(feed(r, frame(Opcode::Continuation, "x"), rec)), 1002);
    EXPECT_EQ(code_of(feed(r, frame(Opcode::Text, "fine"), rec)), 1002);
    EXPECT_TRUE(rec.events.empty());
}

TEST(FrameReader, RejectsBadFirstBytesBeforeTheRestOfTheHeader) {
    FrameReader r(Role::Server);
    Recorder rec;
    // Two bytes of a 14-byte header with RSV2 set: no need to wait for the other twelve.
    EXPECT_EQ(code_of(feed(r, "\xA2\xFF", rec)), close_code::kProtocolError);
}

// ---- 1007: invalid UTF-8 ----

TEST(FrameReader, RejectsInvalidUtf8InTextMessage) {
    EXPECT_EQ(violation_of(frame(Opcode::Text, "bad \xC0\x80")), close_code::kInvalidPayload);
}

TEST(FrameReader, DoesNotValidateBinaryMessages) {
    EXPECT_EQ(violation_of(frame(Opcode::Binary, "\xC0\x80\xFF")), 0);
}

TEST(FrameReader, AcceptsCharactersSplitAcrossFragments) {
    FrameReader r(Role::Server);
    Recorder rec;
    const std::string smile = "\xF0\x9F\x98\x80";  // U+1F600
    std::string wire = frame(Opcode::Text, "", Fin::No);
    for (char c : smile) wire += frame(Opcode::Continuation, std::string(1, c), Fin::No);
    wire += frame(Opcode::Continuation, "");
    ASSERT_TRUE(feed(r, wire, rec));
    EXPECT_EQ(rec.events, std::vector<Event>{text(smile)});
}

TEST(FrameReader, RejectsInvalidUtf8OnTheFirstBadFragmentBeforeFin) {
    struct Case {
        const char* name;
        std::string bytes;
    };
    const Case cases[] = {
        {"overlong 2-byte", "\xC0\xAF"},
        {"overlong 3-byte", "\xE0\x80\xAF"},
        {"overlong 4-byte", "\xF0\x80\x80\xAF"},
        {"surrogate D800", "\xED\xA0\x80"},
        {"above U+10FFFF", "\xF4\x90\x80\x80"},
        {"byte F5", "\xF5\x80\x80\x80"},
        {"byte FF", "\xFF"},
        {"lone continuation", "\x80"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        FrameReader r(Role::Server);
        Recorder rec;
        ASSERT_TRUE(feed(r, frame(Opcode::Text, "ok ", Fin::No), rec));
        // One byte per fragment, never FIN: the violation must show up by the last byte.
        FeedResult result;
        for (char b : c.bytes) {
            result = feed(r, frame(Opcode::Continuation, std::string(1, b), Fin::No), rec);
            if (!result) break;
        }
        EXPECT_EQ(code_of(result), close_code::kInvalidPayload);
    }
}

TEST(FrameReader, RejectsTextEndingMidCharacter) {
    EXPECT_EQ(violation_of(frame(Opcode::Text, "a\xE2\x82")), close_code::kInvalidPayload);
    EXPECT_EQ(
        violation_of(frame(Opcode::Text, "a\xE2", Fin::No) + frame(Opcode::Continuation, "\x82")),
        close_code::kInvalidPayload);
}

TEST(FrameReader, RejectsCloseReasonWithInvalidUtf8) {
    EXPECT_EQ(violation_of(frame(Opcode::Close, close_body(1000, "\xED\xA0\x80"))),
              close_code::kInvalidPayload);
    EXPECT_EQ(violation_of(frame(Opcode::Close, close_body(1000, "cut \xE2\x82"))),
              close_code::kInvalidPayload);
}

// ---- 1009: size limits ----

TEST(FrameReader, RejectsDeclaredOversizeBeforeThePayloadArrives) {
    FrameReader r(Role::Server, ReaderLimits{1000});
    Recorder rec;
    const std::string wire = frame(Opcode::Binary, pattern(1001));
    EXPECT_EQ(code_of(feed(r, wire.substr(0, 8), rec)), close_code::kMessageTooBig);  // header
}

TEST(FrameReader, RejectsHugeDeclaredLength) {
    const std::string header("\x82\xFF\x00\x00\x01\x00\x00\x00\x00\x00\x37\xFA\x21\x3D", 14);
    EXPECT_EQ(violation_of(header), close_code::kMessageTooBig);
}

TEST(FrameReader, RejectsFragmentedMessageOverLimit) {
    FrameReader r(Role::Server, ReaderLimits{1000});
    Recorder rec;
    ASSERT_TRUE(feed(r, frame(Opcode::Binary, pattern(600), Fin::No), rec));
    const std::string second = frame(Opcode::Continuation, pattern(401));
    EXPECT_EQ(code_of(feed(r, second.substr(0, 8), rec)), close_code::kMessageTooBig);
}

TEST(FrameReader, ControlFramesDoNotCountTowardsTheMessageLimit) {
    FrameReader r(Role::Server, ReaderLimits{100});
    Recorder rec;
    ASSERT_TRUE(feed(r,
                     frame(Opcode::Binary, pattern(60), Fin::No) +
                         frame(Opcode::Ping, pattern(125)) +
                         frame(Opcode::Continuation, pattern(40)),
                     rec));
    ASSERT_EQ(rec.events.size(), 2u);
}

// ---- permessage-deflate ----

std::string deflated(std::string_view message, int bits = 15) {
    Deflater d(bits, true);
    return d.deflate(message);
}

DeflateParams params_with(int client_bits, bool client_nct) {
    DeflateParams p;
    p.client_max_window_bits = client_bits;
    p.client_no_context_takeover = client_nct;
    return p;
}

TEST(FrameReader, InflatesCompressedMessage) {
    FrameReader r(Role::Server);
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    const std::string msg = "hello hello hello hello \xE2\x98\x83";
    ASSERT_TRUE(feed(r, frame(Opcode::Text, deflated(msg), Fin::Yes, Compressed::Yes), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{text(msg)});
}

TEST(FrameReader, ClientRoleDecodesRfc7692Examples) {
    DeflateParams server_params;  // server_no_context_takeover = true
    FrameReader r(Role::Client);
    r.enable_deflate(server_params);
    Recorder rec;
    // RFC 7692 §7.2.3.1 (one frame), §7.2.3.1 (two fragments), §7.2.3.3 (no compression),
    // §7.2.3.5 (BFINAL set).
    ASSERT_TRUE(feed(r, std::string("\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00", 9), rec));
    ASSERT_TRUE(feed(r, std::string("\x41\x03\xf2\x48\xcd\x80\x04\xc9\xc9\x07\x00", 11), rec));
    ASSERT_TRUE(feed(r, std::string("\xc1\x0b\x00\x05\x00\xfa\xffHello\x00", 13), rec));
    ASSERT_TRUE(feed(r, std::string("\xc1\x08\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 10), rec));
    EXPECT_EQ(rec.events,
              (std::vector<Event>{text("Hello"), text("Hello"), text("Hello"), text("Hello")}));
}

TEST(FrameReader, InflatesWithContextTakeoverAcrossMessages) {
    // RFC 7692 §7.2.3.2: the second "Hello" refers back into the first message.
    DeflateParams p;
    p.server_no_context_takeover = false;
    FrameReader r(Role::Client);
    r.enable_deflate(p);
    Recorder rec;
    ASSERT_TRUE(feed(r, std::string("\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00", 9), rec));
    ASSERT_TRUE(feed(r, std::string("\xc1\x05\xf2\x00\x11\x00\x00", 7), rec));
    EXPECT_EQ(rec.events, (std::vector<Event>{text("Hello"), text("Hello")}));
}

TEST(FrameReader, InflatesMultiFragmentMessagesWithAndWithoutContextTakeover) {
    for (bool nct : {false, true}) {
        for (int bits : {8, 9, 12, 15}) {
            SCOPED_TRACE(testing::Message() << "bits " << bits << " nct " << nct);
            Deflater d(bits, nct);
            FrameReader r(Role::Server);
            r.enable_deflate(params_with(bits, nct));
            Recorder rec;
            std::vector<Event> want;
            std::string wire;
            for (int m = 0; m < 4; ++m) {
                const std::string msg = "message " + std::to_string(m) + " " + pattern(3000 + m);
                const std::string z = d.deflate(msg);
                const std::size_t third = z.size() / 3;
                wire += frame(Opcode::Binary, z.substr(0, third), Fin::No, Compressed::Yes);
                wire += frame(Opcode::Ping, "p");
                wire += frame(Opcode::Continuation, z.substr(third, third), Fin::No);
                wire += frame(Opcode::Continuation, z.substr(2 * third));
                want.push_back(ping("p"));
                want.push_back(binary(msg));
            }
            ASSERT_TRUE(feed_in_pieces(r, wire, rec, {7, 1, 300}));
            EXPECT_EQ(rec.events, want);
        }
    }
}

TEST(FrameReader, InflatesCompressedMessageFedByteAtATime) {
    FrameReader r(Role::Server);
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    const std::string msg(5000, 'z');
    ASSERT_TRUE(
        feed_in_pieces(r, frame(Opcode::Text, deflated(msg), Fin::Yes, Compressed::Yes), rec, {1}));
    EXPECT_EQ(rec.events, std::vector<Event>{text(msg)});
}

TEST(FrameReader, AcceptsUncompressedMessagesWhenDeflateIsEnabled) {
    FrameReader r(Role::Server);
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    ASSERT_TRUE(feed(r, frame(Opcode::Text, "plain"), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{text("plain")});
}

TEST(FrameReader, RejectsRsv1OnControlFrame) {
    EXPECT_EQ(violation_of(raw_frame(0x89 | 0x40, ""), {}, true), close_code::kProtocolError);
}

TEST(FrameReader, RejectsRsv1OnContinuationFrame) {
    const std::string z = deflated("abcdef");
    EXPECT_EQ(violation_of(frame(Opcode::Text, z.substr(0, 2), Fin::No, Compressed::Yes) +
                               frame(Opcode::Continuation, z.substr(2), Fin::Yes, Compressed::Yes),
                           {}, true),
              close_code::kProtocolError);
}

TEST(FrameReader, RejectsDecompressionBomb) {
    const std::string z = deflated(std::string(10 << 20, '\0'));
    ASSERT_LT(z.size(), 64u << 10);  // the bomb is small on the wire
    FrameReader r(Role::Server, ReaderLimits{1 << 20});
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    EXPECT_EQ(code_of(feed(r, frame(Opcode::Binary, z, Fin::Yes, Compressed::Yes), rec)),
              close_code::kMessageTooBig);
    EXPECT_TRUE(rec.events.empty());
}

TEST(FrameReader, AcceptsInflatedMessageExactlyAtLimit) {
    FrameReader r(Role::Server, ReaderLimits{4096});
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    const std::string msg(4096, 'a');
    ASSERT_TRUE(feed(r, frame(Opcode::Binary, deflated(msg), Fin::Yes, Compressed::Yes), rec));
    EXPECT_EQ(rec.events, std::vector<Event>{binary(msg)});
}

TEST(FrameReader, RejectsInvalidUtf8AfterInflation) {
    EXPECT_EQ(
        violation_of(frame(Opcode::Text, deflated("ok \xED\xA0\x80"), Fin::Yes, Compressed::Yes),
                     {}, true),
        close_code::kInvalidPayload);
    // Valid UTF-8 bytes sent as compressed binary are fine.
    EXPECT_EQ(
        violation_of(frame(Opcode::Binary, deflated("\xED\xA0\x80"), Fin::Yes, Compressed::Yes), {},
                     true),
        0);
}

TEST(FrameReader, RejectsCorruptCompressedData) {
    // 0xFF starts a block of the reserved type 3 (RFC 1951 §3.2.3).
    EXPECT_EQ(
        violation_of(frame(Opcode::Binary, "\xFF\xFF\xFF", Fin::Yes, Compressed::Yes), {}, true),
        close_code::kInvalidPayload);
}

TEST(FrameReader, RejectsCompressedWireSizeFarBeyondTheLimit) {
    // Empty stored blocks inflate to nothing; the wire size itself is bounded.
    std::string blocks;
    for (int i = 0; i < 2000; ++i) blocks += std::string("\x00\x00\x00\xFF\xFF", 5);
    FrameReader r(Role::Server, ReaderLimits{1000});
    r.enable_deflate(DeflateParams{});
    Recorder rec;
    EXPECT_EQ(code_of(feed(r, frame(Opcode::Binary, blocks, Fin::Yes, Compressed::Yes), rec)),
              close_code::kMessageTooBig);
}

}  // namespace
}  // namespace confab::ws
