// chat_format: the JSON chat line for telnet input, and terminal-safe rendering of anything
// the WebSocket side may send (it is untrusted: escape sequences, bad UTF-8, binary).
#include "telnet/chat_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace confab::telnet {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;

const std::string kFffd = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
const std::string kEsc = "\x1B";
const std::string kIac = "\xFF";
const std::string kCsi8Bit = "\xC2\x9B";   // U+009B
const std::string kNextLine = "\xC2\x85";  // U+0085

// True if `s` is valid UTF-8: nlohmann's strict dump throws on anything else.
bool is_utf8(const std::string& s) {
    try {
        (void)json(s).dump();
        return true;
    } catch (const json::exception&) {
        return false;
    }
}

TEST(LineToWsJson, WrapsTelnetLineAsChatJsonMarkedViaTelnet) {
    json line = json::parse(line_to_ws_json("bob", "hello there"));
    EXPECT_EQ(line, (json{{"nick", "bob"}, {"text", "hello there"}, {"via", "telnet"}}));
}

TEST(LineToWsJson, EscapesQuotesBackslashesAndControlCharacters) {
    std::string text = "say \"hi\" \\ \x01\t";
    std::string out = line_to_ws_json("bob", text);
    EXPECT_EQ(json::parse(out)["text"], text);
    EXPECT_EQ(out.find('\x01'), std::string::npos);
}

TEST(LineToWsJson, ReplacesInvalidUtf8InTextWithoutThrowing) {
    std::string out;
    ASSERT_NO_THROW(out = line_to_ws_json("bob", "caf\xE9 \xFF!"));
    EXPECT_TRUE(is_utf8(out));
    EXPECT_EQ(json::parse(out)["text"], "caf" + kFffd + " " + kFffd + "!");
}

TEST(LineToWsJson, KeepsValidUtf8Text) {
    EXPECT_EQ(json::parse(line_to_ws_json("bob", "h\xC3\xA9llo \xE2\x9C\x93"))["text"],
              "h\xC3\xA9llo \xE2\x9C\x93");
}

TEST(RenderForTelnet, RendersJsonChatLineAsNickAndText) {
    EXPECT_EQ(render_for_telnet(R"({"nick":"alice","text":"hi all"})", true),
              "[alice]: hi all\r\n");
}

TEST(RenderForTelnet, RendersLineFromTelnetLikeAnyChatLine) {
    EXPECT_EQ(render_for_telnet(line_to_ws_json("bob", "yo"), true), "[bob]: yo\r\n");
}

TEST(RenderForTelnet, RendersPlainTextAsFromWs) {
    EXPECT_EQ(render_for_telnet("just words", true), "[ws]: just words\r\n");
}

TEST(RenderForTelnet, RendersJsonWithoutChatFieldsAsRawText) {
    EXPECT_EQ(render_for_telnet(R"({"foo":1})", true), "[ws]: {\"foo\":1}\r\n");
    EXPECT_EQ(render_for_telnet(R"(["nick","text"])", true), "[ws]: [\"nick\",\"text\"]\r\n");
    EXPECT_EQ(render_for_telnet("42", true), "[ws]: 42\r\n");
}

TEST(RenderForTelnet, RendersJsonWithNonStringFieldsAsRawText) {
    EXPECT_EQ(render_for_telnet(R"({"nick":"a","text":5})", true),
              "[ws]: {\"nick\":\"a\",\"text\":5}\r\n");
    EXPECT_EQ(render_for_telnet(R"({"nick":null,"text":"x"})", true),
              "[ws]: {\"nick\":null,\"text\":\"x\"}\r\n");
}

TEST(RenderForTelnet, RendersTruncatedJsonAsRawText) {
    EXPECT_EQ(render_for_telnet(R"({"nick":"a","te)", true), "[ws]: {\"nick\":\"a\",\"te\r\n");
}

TEST(RenderForTelnet, RendersBinaryAsItsSize) {
    EXPECT_EQ(render_for_telnet("\x00\x01\xFF\x1B"s, false), "[ws]: <binary, 4 bytes>\r\n");
    EXPECT_EQ(render_for_telnet("", false), "[ws]: <binary, 0 bytes>\r\n");
}

TEST(RenderForTelnet, StripsCsiColourSequences) {
    EXPECT_EQ(render_for_telnet("\x1B[1;31mred\x1B[0m text", true), "[ws]: red text\r\n");
}

TEST(RenderForTelnet, StripsScreenClearingAndCursorSequences) {
    EXPECT_EQ(render_for_telnet("\x1B[2J\x1B[H\x1B[?25lgone", true), "[ws]: gone\r\n");
}

TEST(RenderForTelnet, StripsOscTitleSequenceEndedByBel) {
    EXPECT_EQ(render_for_telnet("\x1B]0;pwned\x07ok", true), "[ws]: ok\r\n");
}

TEST(RenderForTelnet, StripsOscSequenceEndedBySt) {
    EXPECT_EQ(render_for_telnet("\x1B]8;;http://x\x1B\\link", true), "[ws]: link\r\n");
}

TEST(RenderForTelnet, StripsUnterminatedOscToTheEnd) {
    EXPECT_EQ(render_for_telnet("ok\x1B]0;rest of it", true), "[ws]: ok\r\n");
}

TEST(RenderForTelnet, StripsCharsetAndResetSequences) {
    // ESC ( B selects ASCII; ESC c resets the terminal; a lone ESC at the end is dropped too.
    EXPECT_EQ(render_for_telnet("a\x1B(Bb" + kEsc + "cc\x1B", true), "[ws]: abc\r\n");
}

TEST(RenderForTelnet, StripsEscapeSequencesInsideJsonNickAndText) {
    std::string payload =
        json{{"nick", "\x1B[31mevil"}, {"text", "\x1B[2Jboom\x1B]0;t\x07"}}.dump();
    EXPECT_EQ(render_for_telnet(payload, true), "[evil]: boom\r\n");
}

TEST(RenderForTelnet, ReplacesOtherControlCharacters) {
    EXPECT_EQ(render_for_telnet("bell\x07 back\x08 del\x7F", true),
              "[ws]: bell" + kFffd + " back" + kFffd + " del" + kFffd + "\r\n");
    EXPECT_EQ(render_for_telnet("nul"s + '\0' + "!", true), "[ws]: nul" + kFffd + "!\r\n");
}

TEST(RenderForTelnet, ReplacesC1ControlsSuchAsEightBitCsi) {
    // U+009B is a one-character CSI on terminals that honour C1 controls.
    EXPECT_EQ(render_for_telnet("a" + kCsi8Bit + "31mb" + kNextLine, true),
              "[ws]: a" + kFffd + "31mb" + kFffd + "\r\n");
}

TEST(RenderForTelnet, TurnsEmbeddedNewlinesIntoSpaces) {
    EXPECT_EQ(render_for_telnet("a\nb\r\nc\rd\te", true), "[ws]: a b c d e\r\n");
    EXPECT_EQ(render_for_telnet(R"({"nick":"n","text":"two\nlines"})", true), "[n]: two lines\r\n");
}

TEST(RenderForTelnet, ReplacesInvalidUtf8BytesWithoutThrowing) {
    std::string out;
    ASSERT_NO_THROW(out = render_for_telnet("a" + kIac + "b\xC3", true));
    EXPECT_EQ(out, "[ws]: a" + kFffd + "b" + kFffd + "\r\n");
}

TEST(RenderForTelnet, ReplacesOverlongAndSurrogateEncodings) {
    EXPECT_EQ(render_for_telnet("\xC0\xAF", true), "[ws]: " + kFffd + kFffd + "\r\n");
    EXPECT_EQ(render_for_telnet("\xED\xA0\x80", true), "[ws]: " + kFffd + kFffd + kFffd + "\r\n");
    EXPECT_EQ(render_for_telnet("\xF4\x90\x80\x80", true),  // > U+10FFFF
              "[ws]: " + kFffd + kFffd + kFffd + kFffd + "\r\n");
}

TEST(RenderForTelnet, RendersJsonWithInvalidUtf8AsRawTextWithReplacements) {
    EXPECT_EQ(render_for_telnet("{\"nick\":\"a\",\"text\":\"\xFF\"}", true),
              "[ws]: {\"nick\":\"a\",\"text\":\"" + kFffd + "\"}\r\n");
}

TEST(RenderForTelnet, KeepsValidMultibyteText) {
    std::string text = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80";  // é ✓ 😀
    EXPECT_EQ(render_for_telnet(text, true), "[ws]: " + text + "\r\n");
}

TEST(RenderForTelnet, SurvivesDeeplyNestedJson) {
    std::string payload(100000, '[');
    std::string out;
    ASSERT_NO_THROW(out = render_for_telnet(payload, true));
    EXPECT_EQ(out, "[ws]: " + payload + "\r\n");
}

// Property: whatever the bytes, the output is one inert, valid UTF-8 line.
TEST(RenderForTelnet, GivesOneSafeLineForAnyBytes) {
    std::uint32_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 1664525u + 1013904223u;  // Numerical Recipes LCG: deterministic
        return static_cast<char>(seed >> 24);
    };
    for (int round = 0; round < 2000; ++round) {
        std::string payload;
        for (int k = round % 40; k > 0; --k) payload.push_back(next());
        if (round % 3 == 0) {  // also through the JSON path
            json line = {{"nick", "n"}, {"text", payload}};
            payload = line.dump(-1, ' ', false, json::error_handler_t::replace);
        }
        std::string out;
        ASSERT_NO_THROW(out = render_for_telnet(payload, true));
        ASSERT_GE(out.size(), 2u);
        EXPECT_EQ(out.substr(out.size() - 2), "\r\n");
        std::string body = out.substr(0, out.size() - 2);
        EXPECT_EQ(body.find_first_of("\r\n\x1B\xFF"), std::string::npos) << payload;
        EXPECT_TRUE(is_utf8(body)) << payload;
    }
}

TEST(IsValidNick, AcceptsLettersDigitsDashUnderscoreAndDot) {
    EXPECT_TRUE(is_valid_nick("alice"));
    EXPECT_TRUE(is_valid_nick("Bob_2"));
    EXPECT_TRUE(is_valid_nick("x.y-z"));
    EXPECT_TRUE(is_valid_nick("7"));
}

TEST(IsValidNick, AcceptsThirtyTwoBytesAndRejectsThirtyThree) {
    EXPECT_TRUE(is_valid_nick(std::string(32, 'a')));
    EXPECT_FALSE(is_valid_nick(std::string(33, 'a')));
}

TEST(IsValidNick, RejectsEmpty) {
    EXPECT_FALSE(is_valid_nick(""));
}

TEST(IsValidNick, RejectsSpacesPunctuationControlsAndNonAscii) {
    for (std::string bad : {" ", "a b", "a\n", "a\r", "[ws]", "a:b", "a/b", "a\"b", "h\xC3\xA9",
                            "\x1B[31m", "\xFF"}) {
        EXPECT_FALSE(is_valid_nick(bad)) << bad;
    }
    EXPECT_FALSE(is_valid_nick("a\0b"s));
}

}  // namespace
}  // namespace confab::telnet
