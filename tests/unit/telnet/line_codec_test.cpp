// LineCodec: line framing (LF, CRLF, CR NUL), RFC 854 command stripping and refusal, limits.
#include "telnet/line_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace confab::telnet {
namespace {

using namespace std::string_literals;

// RFC 854 bytes, spelled as strings so they can be concatenated into inputs.
const std::string kIac = "\xFF";
const std::string kSe = "\xF0";
const std::string kNop = "\xF1";
const std::string kAyt = "\xF6";
const std::string kGa = "\xF9";
const std::string kSb = "\xFA";
const std::string kWill = "\xFB";
const std::string kWont = "\xFC";
const std::string kDo = "\xFD";
const std::string kDont = "\xFE";
const std::string kEcho = "\x01";
const std::string kSuppressGoAhead = "\x03";
const std::string kTerminalType = "\x18";
const std::string kNaws = "\x1F";

struct Recorder : LineHandler {
    std::vector<std::string> lines;
    int too_long = 0;
    void on_line(std::string_view line) override { lines.emplace_back(line); }
    void on_line_too_long() override { ++too_long; }
};

std::vector<std::string> lines_of(const std::string& input, std::size_t max = 1024) {
    LineCodec codec(max);
    Recorder recorder;
    codec.feed(input, recorder);
    return recorder.lines;
}

// Feeding one byte per call must give exactly what one big call gives.
std::vector<std::string> lines_fed_bytewise(const std::string& input, std::size_t max = 1024) {
    LineCodec codec(max);
    Recorder recorder;
    for (char c : input) codec.feed(std::string_view(&c, 1), recorder);
    return recorder.lines;
}

using Lines = std::vector<std::string>;

TEST(LineCodec, SplitsLinesOnLf) {
    EXPECT_EQ(lines_of("hello\nworld\n"), (Lines{"hello", "world"}));
}

TEST(LineCodec, SplitsLinesOnCrLfWithoutAnExtraEmptyLine) {
    EXPECT_EQ(lines_of("hello\r\nworld\r\n"), (Lines{"hello", "world"}));
}

TEST(LineCodec, SplitsLinesOnCrNul) {
    EXPECT_EQ(lines_of("hello\r"s + '\0' + "world\r"s + '\0'), (Lines{"hello", "world"}));
}

TEST(LineCodec, TreatsBareCrFollowedByTextAsLineEnd) {
    EXPECT_EQ(lines_of("one\rtwo\n"), (Lines{"one", "two"}));
}

TEST(LineCodec, KeepsEmptyLines) {
    EXPECT_EQ(lines_of("\n\r\n\r"s + '\0'), (Lines{"", "", ""}));
}

TEST(LineCodec, DeliversLineAtCrWithoutWaitingForLf) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("hi\r", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"hi"}));
    codec.feed("\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"hi"}));
}

TEST(LineCodec, HoldsIncompleteLineUntilItsTerminatorArrives) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("hel", recorder);
    EXPECT_TRUE(recorder.lines.empty());
    codec.feed("lo", recorder);
    EXPECT_TRUE(recorder.lines.empty());
    codec.feed("\r\nnext", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"hello"}));
}

TEST(LineCodec, HandlesCrLfSplitAcrossFeeds) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("a\r", recorder);
    codec.feed("\nb\r", recorder);
    codec.feed("\0c\n"s, recorder);
    EXPECT_EQ(recorder.lines, (Lines{"a", "b", "c"}));
}

TEST(LineCodec, DropsNulInsideLine) {
    EXPECT_EQ(lines_of("a"s + '\0' + "b\n"), (Lines{"ab"}));
}

TEST(LineCodec, TurnsIacIacIntoLiteral0xFF) {
    EXPECT_EQ(lines_of("a" + kIac + kIac + "b\n"), (Lines{"a" + kIac + "b"}));
}

TEST(LineCodec, TurnsIacIacSplitAcrossFeedsIntoLiteral0xFF) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("a" + kIac, recorder);
    codec.feed(kIac + "b\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"a" + kIac + "b"}));
    EXPECT_EQ(codec.take_replies(), "");
}

TEST(LineCodec, RefusesWillWithDont) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed(kIac + kWill + kNaws, recorder);
    EXPECT_EQ(codec.take_replies(), kIac + kDont + kNaws);
}

TEST(LineCodec, RefusesDoWithWont) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed(kIac + kDo + kEcho, recorder);
    EXPECT_EQ(codec.take_replies(), kIac + kWont + kEcho);
}

TEST(LineCodec, DoesNotAnswerWontOrDontSoNegotiationCannotLoop) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed(kIac + kWont + kEcho + kIac + kDont + kEcho, recorder);
    EXPECT_EQ(codec.take_replies(), "");
}

TEST(LineCodec, AnswersEveryRequestInOrder) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed(kIac + kDo + kSuppressGoAhead + kIac + kWill + kTerminalType, recorder);
    EXPECT_EQ(codec.take_replies(), kIac + kWont + kSuppressGoAhead + kIac + kDont + kTerminalType);
}

TEST(LineCodec, AnswersNegotiationSplitAcrossFeeds) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("x" + kIac, recorder);
    codec.feed(kDo, recorder);
    EXPECT_EQ(codec.take_replies(), "");
    codec.feed(kEcho + "y\n", recorder);
    EXPECT_EQ(codec.take_replies(), kIac + kWont + kEcho);
    EXPECT_EQ(recorder.lines, (Lines{"xy"}));
}

TEST(LineCodec, TakeRepliesClearsThem) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed(kIac + kDo + kEcho, recorder);
    EXPECT_FALSE(codec.take_replies().empty());
    EXPECT_EQ(codec.take_replies(), "");
}

TEST(LineCodec, StripsNegotiationFromLineText) {
    EXPECT_EQ(lines_of("a" + kIac + kWill + kNaws + "b" + kIac + kDont + kEcho + "c\n"),
              (Lines{"abc"}));
}

TEST(LineCodec, DropsOtherTwoByteCommands) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("a" + kIac + kNop + "b" + kIac + kAyt + "c" + kIac + kGa + "\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"abc"}));
    EXPECT_EQ(codec.take_replies(), "");
}

TEST(LineCodec, SkipsSubnegotiation) {
    // IAC SB NAWS 0 80 0 24 IAC SE: a window size report in the middle of a line.
    std::string naws = kIac + kSb + kNaws + "\x00\x50\x00\x18"s + kIac + kSe;
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("ab" + naws + "cd\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"abcd"}));
    EXPECT_EQ(codec.take_replies(), "");
}

TEST(LineCodec, SkipsSubnegotiationSplitAcrossFeeds) {
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("ab" + kIac, recorder);
    codec.feed(kSb + kTerminalType + "\x00xt"s, recorder);
    codec.feed("erm\n\r" + kIac, recorder);  // newlines inside a subnegotiation are not lines
    codec.feed(kSe + "cd\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"abcd"}));
}

TEST(LineCodec, KeepsSkippingSubnegotiationPastEscapedIac) {
    // IAC IAC inside SB is a data byte of the option, not the start of IAC SE.
    LineCodec codec(64);
    Recorder recorder;
    codec.feed("a" + kIac + kSb + kNaws + kIac + kIac + kSe + "x" + kIac + kSe + "b\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"ab"}));
}

TEST(LineCodec, GivesSameLinesWhenFedOneByteAtATime) {
    std::string input = "plain\n";
    input += "crlf\r\n";
    input += "crnul\r"s + '\0';
    input += "i" + kIac + kIac + "ac\n";
    input += "neg" + kIac + kDo + kEcho + "otiation\n";
    input += "s" + kIac + kSb + kNaws + "\x00\x50"s + kIac + kSe + "ub\r\n";
    input += "tail-without-terminator";
    Lines expected{"plain", "crlf", "crnul", "i" + kIac + "ac", "negotiation", "sub"};
    EXPECT_EQ(lines_of(input), expected);
    EXPECT_EQ(lines_fed_bytewise(input), expected);
}

TEST(LineCodec, AcceptsLineOfExactlyTheLimit) {
    LineCodec codec(5);
    Recorder recorder;
    codec.feed("12345\n", recorder);
    EXPECT_EQ(recorder.lines, (Lines{"12345"}));
    EXPECT_EQ(recorder.too_long, 0);
}

TEST(LineCodec, ReportsOverlongLineOnceThenResyncsOnNextLine) {
    LineCodec codec(5);
    Recorder recorder;
    codec.feed("123456789012345\r\nok\r\n", recorder);
    EXPECT_EQ(recorder.too_long, 1);
    EXPECT_EQ(recorder.lines, (Lines{"ok"}));
}

TEST(LineCodec, ReportsOverlongLineOnceWhenItArrivesInManyFeeds) {
    LineCodec codec(5);
    Recorder recorder;
    for (int i = 0; i < 100; ++i) codec.feed("abc", recorder);
    EXPECT_EQ(recorder.too_long, 1);
    EXPECT_TRUE(recorder.lines.empty());
    codec.feed("tail\nok\n", recorder);
    EXPECT_EQ(recorder.too_long, 1);
    EXPECT_EQ(recorder.lines, (Lines{"ok"}));
}

TEST(LineCodec, ReportsOverlongLineAsSoonAsTheLimitIsPassed) {
    LineCodec codec(5);
    Recorder recorder;
    codec.feed("123456", recorder);  // no terminator yet
    EXPECT_EQ(recorder.too_long, 1);
}

TEST(LineCodec, ReportsEachOverlongLineSeparately) {
    LineCodec codec(3);
    Recorder recorder;
    codec.feed("toolong\nfine\nabc\nagain-too-long\r\nx\n", recorder);
    EXPECT_EQ(recorder.too_long, 3);
    EXPECT_EQ(recorder.lines, (Lines{"abc", "x"}));
}

TEST(LineCodec, StillAnswersNegotiationWhileDiscardingOverlongLine) {
    LineCodec codec(3);
    Recorder recorder;
    codec.feed("abcdef" + kIac + kDo + kEcho + "ghi\nok\n", recorder);
    EXPECT_EQ(codec.take_replies(), kIac + kWont + kEcho);
    EXPECT_EQ(recorder.lines, (Lines{"ok"}));
    EXPECT_EQ(recorder.too_long, 1);
}

TEST(LineCodec, CountsLiteral0xFFTowardsTheLimit) {
    LineCodec codec(2);
    Recorder recorder;
    codec.feed("ab" + kIac + kIac + "\nok\n", recorder);
    EXPECT_EQ(recorder.too_long, 1);
    EXPECT_EQ(recorder.lines, (Lines{"ok"}));
}

}  // namespace
}  // namespace confab::telnet
