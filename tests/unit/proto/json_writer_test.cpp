// append_json_string: the escaper every confab.v1 encoder relies on. Its output must be valid
// JSON for any input bytes, and must decode back to the input when the input is UTF-8.
#include "proto/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace confab::proto {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;

std::string decoded(const std::string& encoded) {
    return json::parse(encoded).get<std::string>();
}

TEST(JsonWriter, PlainAsciiIsQuotedAsIs) {
    EXPECT_EQ(json_string("hello world"), "\"hello world\"");
}

TEST(JsonWriter, QuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(json_string(R"(a"b\c)"), R"("a\"b\\c")");
}

TEST(JsonWriter, ControlCharactersUseShortFormsOrUEscapes) {
    EXPECT_EQ(json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(json_string("\x01\x1F"s), R"("\u0001\u001f")");
    EXPECT_EQ(json_string("a\0b"s), R"("a\u0000b")");
}

TEST(JsonWriter, LineAndParagraphSeparatorsAreEscapedForJavaScript) {
    EXPECT_EQ(json_string("x\xE2\x80\xA8y\xE2\x80\xA9z"), R"("x\u2028y\u2029z")");
}

TEST(JsonWriter, ValidUtf8IsCopiedRaw) {
    std::string text = "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80";  // é ✓ 😀
    EXPECT_EQ(json_string(text), "\"" + text + "\"");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
    EXPECT_EQ(json_string("a\xFF"
                          "b"),
              R"("a\ufffdb")");
    EXPECT_EQ(json_string("\xC0\xAF"), R"("\ufffd\ufffd")");                      // overlong '/'
    EXPECT_EQ(json_string("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate D800
    EXPECT_EQ(json_string("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
    EXPECT_EQ(json_string("x\xE2\x9C"), R"("x\ufffd\ufffd")");                    // cut off
}

TEST(JsonWriter, NastyStringsRoundTripThroughAJsonParser) {
    for (std::string s :
         {""s, "\""s, "\\"s, "\\\""s, "\"\\u0000\""s, "\0\x01\x7F"s, "</script>"s,
          "\xE2\x80\xA8\xE2\x80\xA9"s, "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"s,
          "\xEF\xBB\xBF"
          "bom"s,
          "tab\tnew\nline\r"s, std::string(1000, '"')}) {
        EXPECT_EQ(decoded(json_string(s)), s);
    }
}

TEST(JsonWriter, EveryByteValueGivesValidJson) {
    for (int b = 0; b < 256; ++b) {
        std::string s = "<" + std::string(1, static_cast<char>(b)) + ">";
        std::string out = json_string(s);
        ASSERT_TRUE(json::accept(out)) << b;
        if (b < 0x80) {
            EXPECT_EQ(decoded(out), s) << b;
        }
    }
}

TEST(JsonWriter, AppendsToWhatIsAlreadyThere) {
    std::string out = "[";
    append_json_string(out, "a");
    out += ",";
    append_json_string(out, "b");
    out += "]";
    EXPECT_EQ(out, R"(["a","b"])");
}

}  // namespace
}  // namespace confab::proto
