#include "bench/v1_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/payload.hpp"

namespace confab::bench {
namespace {

constexpr std::string_view kMsg =
    R"({"type":"msg","room":"storm","seq":43,"qos":1,"id":"p7","from":{"nick":"publisher",)"
    R"("session":"s-5f1c","via":"ws"},"ts":1732370000123,"data":"storm p7"})";

TEST(BenchV1Text, CommandsAreTheDocumentedJson) {
    EXPECT_EQ(nlohmann::json::parse(v1::hello("bench")),
              nlohmann::json::parse(R"({"type":"hello","nick":"bench"})"));
    EXPECT_EQ(nlohmann::json::parse(v1::hello("bench", "s-1")),
              nlohmann::json::parse(R"({"type":"hello","nick":"bench","session":"s-1"})"));
    EXPECT_EQ(nlohmann::json::parse(v1::join("lobby")),
              nlohmann::json::parse(R"({"type":"join","room":"lobby"})"));
    EXPECT_EQ(nlohmann::json::parse(v1::join("lobby", 42, "e-1")),
              nlohmann::json::parse(R"({"type":"join","room":"lobby","since":42,"epoch":"e-1"})"));
    EXPECT_EQ(nlohmann::json::parse(v1::pub("lobby", 0, "", "x")),
              nlohmann::json::parse(R"({"type":"pub","room":"lobby","qos":0,"data":"x"})"));
    EXPECT_EQ(
        nlohmann::json::parse(v1::pub("lobby", 1, "c-7", "x")),
        nlohmann::json::parse(R"({"type":"pub","room":"lobby","qos":1,"id":"c-7","data":"x"})"));
}

TEST(BenchV1Text, TypeIsReadFromTheFirstField) {
    EXPECT_EQ(v1::type_of(kMsg), v1::Type::Msg);
    EXPECT_EQ(v1::type_of(R"({"type":"ack","room":"a","id":"1","seq":1,"duplicate":false})"),
              v1::Type::Ack);
    EXPECT_EQ(v1::type_of(R"({"type":"joined","room":"a"})"), v1::Type::Joined);
    EXPECT_EQ(v1::type_of(R"({"type":"presence","room":"a"})"), v1::Type::Presence);
    EXPECT_EQ(v1::type_of(R"({"type":"welcome","session":"s"})"), v1::Type::Welcome);
    EXPECT_EQ(v1::type_of(R"({"type":"error","code":"x"})"), v1::Type::Error);
    EXPECT_EQ(v1::type_of(R"({"type":"msgs"})"), v1::Type::Other);
    EXPECT_EQ(v1::type_of(R"({"room":"a","type":"msg"})"), v1::Type::Other);
}

TEST(BenchV1Text, FieldsOfAJoinedReply) {
    constexpr std::string_view joined =
        R"({"type":"joined","room":"lobby","epoch":"e-18c2b7a01f","last_seq":42,"recovered":true})";
    EXPECT_EQ(v1::string_field(joined, "epoch"), "e-18c2b7a01f");
    EXPECT_EQ(v1::uint_field(joined, "last_seq"), 42u);
    EXPECT_EQ(v1::bool_field(joined, "recovered"), true);
    EXPECT_EQ(v1::bool_field(R"({"recovered":false})", "recovered"), false);
    EXPECT_FALSE(v1::uint_field(joined, "seq"));
    EXPECT_FALSE(v1::string_field(joined, "last_seq"));
}

TEST(BenchV1Text, NumericStringIdReadsAsNumber) {
    EXPECT_EQ(v1::uint_field(R"({"type":"ack","id":"17","seq":3})", "id"), 17u);
    EXPECT_FALSE(v1::uint_field(R"({"type":"ack","id":"p17"})", "id"));
    EXPECT_FALSE(v1::uint_field(R"({"type":"ack","id":"17x"})", "id"));
}

TEST(BenchV1Text, EnvelopeStopsBeforeTheData) {
    constexpr std::string_view tricky =
        R"({"type":"msg","room":"r","qos":0,"from":{"nick":"n"},"ts":1,"data":{"seq":99}})";
    EXPECT_FALSE(v1::uint_field(v1::envelope(tricky), "seq"));
    EXPECT_EQ(v1::uint_field(v1::envelope(kMsg), "seq"), 43u);
}

TEST(BenchV1Text, DataStringIsTheLastField) {
    EXPECT_EQ(v1::data_string(kMsg), "storm p7");
    EXPECT_FALSE(v1::data_string(R"({"type":"msg","data":{"x":1}})"));
    EXPECT_FALSE(v1::data_string(R"({"type":"msg","data":5})"));
    // The expected size is a hint: right or wrong, the answer is the same.
    EXPECT_EQ(v1::data_string(kMsg, 8), "storm p7");
    EXPECT_EQ(v1::data_string(kMsg, 3), "storm p7");
    EXPECT_EQ(v1::data_string(kMsg, 500), "storm p7");
}

TEST(BenchPayload, TextHeaderRoundTrips) {
    std::string data = make_payload(64);
    const PayloadHeader h{
        .sender = 0xdeadbeef, .seq = 123456789012345, .sent_ns = 987654321987654321};
    write_text_header(data, h);
    PayloadHeader back;
    ASSERT_TRUE(read_text_header(data, back));
    EXPECT_EQ(back.sender, h.sender);
    EXPECT_EQ(back.seq, h.seq);
    EXPECT_EQ(back.sent_ns, h.sent_ns);
    EXPECT_EQ(data.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz"), std::string::npos)
        << "the data must be a JSON string without escapes";
}

TEST(BenchPayload, TextHeaderRejectsShortOrForeignData) {
    PayloadHeader h;
    EXPECT_FALSE(read_text_header("0123", h));
    EXPECT_FALSE(read_text_header(std::string(40, 'z'), h));
    std::string upper(40, '0');
    upper[39] = 'A';  // lowercase only: the writer never emits capitals
    EXPECT_FALSE(read_text_header(upper, h));
}

}  // namespace
}  // namespace confab::bench
