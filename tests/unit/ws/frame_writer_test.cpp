// Frame encoding (RFC 6455 §5.2): headers, server frames, Close frames and masked client frames.
#include "ws/frame_writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ws/close_code.hpp"
#include "ws/frame_reader.hpp"
#include "ws/utf8.hpp"

namespace confab::ws {
namespace {

std::string header_of(Opcode op, std::uint64_t size, Fin fin = Fin::Yes,
                      Compressed compressed = Compressed::No) {
    std::uint8_t buf[kMaxHeaderSize];
    const std::size_t n = encode_header(buf, op, size, fin, compressed);
    return std::string(reinterpret_cast<const char*>(buf), n);
}

TEST(FrameWriter, EncodesEveryLengthForm) {
    EXPECT_EQ(header_of(Opcode::Binary, 0), std::string("\x82\x00", 2));
    EXPECT_EQ(header_of(Opcode::Binary, 125), "\x82\x7D");
    EXPECT_EQ(header_of(Opcode::Binary, 126), std::string("\x82\x7E\x00\x7E", 4));
    EXPECT_EQ(header_of(Opcode::Binary, 65535), "\x82\x7E\xFF\xFF");
    EXPECT_EQ(header_of(Opcode::Binary, 65536),
              std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    EXPECT_EQ(header_of(Opcode::Binary, 1u << 20),
              std::string("\x82\x7F\x00\x00\x00\x00\x00\x10\x00\x00", 10));
    EXPECT_EQ(header_of(Opcode::Binary, 0x0102030405060708ULL),
              "\x82\x7F\x01\x02\x03\x04\x05\x06\x07\x08");
}

TEST(FrameWriter, SetsFinRsv1AndOpcodeBits) {
    EXPECT_EQ(header_of(Opcode::Text, 0)[0], '\x81');
    EXPECT_EQ(header_of(Opcode::Text, 0, Fin::No)[0], '\x01');
    EXPECT_EQ(header_of(Opcode::Text, 0, Fin::Yes, Compressed::Yes)[0], '\xC1');
    EXPECT_EQ(header_of(Opcode::Continuation, 0, Fin::Yes)[0], '\x80');
    EXPECT_EQ(header_of(Opcode::Pong, 0)[0], '\x8A');
}

TEST(FrameWriter, ServerFramesAreUnmasked) {
    for (std::uint64_t size : {0ULL, 200ULL, 70000ULL}) {
        EXPECT_EQ(header_of(Opcode::Text, size)[1] & 0x80, 0) << size;
    }
}

TEST(FrameWriter, MakeFrameMatchesRfcUnmaskedHello) {
    // RFC 6455 §5.7: 0x81 0x05 "Hello".
    FrameRef f = make_frame(Opcode::Text, "Hello");
    EXPECT_EQ(f->view(), std::string("\x81\x05Hello", 7));
}

TEST(FrameWriter, MakeFrameHoldsLargePayloadAfterHeader) {
    const std::string payload(70000, 'p');
    FrameRef f = make_frame(Opcode::Binary, payload, Compressed::Yes);
    ASSERT_EQ(f->size(), 10 + payload.size());
    EXPECT_EQ(f->view().substr(0, 10), header_of(Opcode::Binary, 70000, Fin::Yes, Compressed::Yes));
    EXPECT_EQ(f->view().substr(10), payload);
}

TEST(FrameWriter, CloseFrameCarriesCodeAndReason) {
    FrameRef f = make_close_frame(close_code::kGoingAway, "restarting");
    EXPECT_EQ(f->view(), std::string("\x88\x0C\x03\xE9restarting", 14));
}

TEST(FrameWriter, CloseFrameForNoStatusHasEmptyBody) {
    FrameRef f = make_close_frame(close_code::kNoStatus, "ignored");
    EXPECT_EQ(f->view(), std::string("\x88\x00", 2));
}

TEST(FrameWriter, CloseReasonIsCutToFitAtCharacterBoundary) {
    // "a" then 3-byte euro signs: 123 bytes would end inside a character.
    std::string reason = "a";
    for (int i = 0; i < 60; ++i) reason += "\xE2\x82\xAC";
    FrameRef f = make_close_frame(close_code::kPolicyViolation, reason);
    const std::string_view body = f->view().substr(2);
    ASSERT_LE(body.size(), 125u);
    const std::string_view cut = body.substr(2);
    EXPECT_EQ(cut.size(), 121u);  // "a" + 40 euro signs
    EXPECT_TRUE(is_valid_utf8(cut));
    EXPECT_EQ(reason.substr(0, cut.size()), cut);
}

TEST(FrameWriter, CloseReasonOfExactly123BytesIsKept) {
    const std::string reason(123, 'r');
    FrameRef f = make_close_frame(close_code::kNormal, reason);
    EXPECT_EQ(f->view().size(), 2u + 125u);
    EXPECT_EQ(f->view().substr(4), reason);
}

TEST(FrameWriter, InvalidCloseReasonIsDropped) {
    FrameRef f = make_close_frame(close_code::kNormal, "bad \xFF");
    EXPECT_EQ(f->view(), std::string("\x88\x02\x03\xE8", 4));
}

TEST(FrameWriter, ClientFrameMatchesRfcMaskedHello) {
    // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d.
    EXPECT_EQ(encode_client_frame(Opcode::Text, "Hello", 0x37FA213D),
              "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
}

class Collect : public FrameHandler {
public:
    void on_message(Opcode op, std::string_view p) override {
        ops.push_back(op);
        payloads.emplace_back(p);
    }
    void on_ping(std::string_view) override {}
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t, std::string_view) override {}
    std::vector<Opcode> ops;
    std::vector<std::string> payloads;
};

TEST(FrameWriter, ClientFramesRoundTripThroughServerReader) {
    for (std::size_t size : {0u, 3u, 125u, 126u, 65535u, 65536u, 100001u}) {
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
        const std::string wire = encode_client_frame(Opcode::Binary, payload, 0xA1B2C3D4);
        std::vector<std::uint8_t> buf(wire.begin(), wire.end());
        FrameReader reader(Role::Server, ReaderLimits{1 << 20});
        Collect c;
        ASSERT_TRUE(reader.feed(buf, c)) << size;
        ASSERT_EQ(c.payloads.size(), 1u);
        EXPECT_EQ(c.payloads[0], payload) << size;
    }
}

TEST(FrameWriter, ServerFramesRoundTripThroughClientReader) {
    const std::string payload(300, 'k');
    FrameRef f = make_frame(Opcode::Text, payload);
    std::vector<std::uint8_t> buf(f->data(), f->data() + f->size());
    FrameReader reader(Role::Client);
    Collect c;
    ASSERT_TRUE(reader.feed(buf, c));
    ASSERT_EQ(c.payloads.size(), 1u);
    EXPECT_EQ(c.ops[0], Opcode::Text);
    EXPECT_EQ(c.payloads[0], payload);
}

}  // namespace
}  // namespace confab::ws
