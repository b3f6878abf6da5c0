#include "client/v1_codec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace confab::client::wire {
namespace {

using Json = nlohmann::json;

TEST(ClientV1Codec, EncodesCommandsTheServerReads) {
    EXPECT_EQ(Json::parse(encode_hello("alice", "")),
              Json::parse(R"({"type":"hello","nick":"alice"})"));
    EXPECT_EQ(Json::parse(encode_hello("alice", "s-1")),
              Json::parse(R"({"type":"hello","nick":"alice","session":"s-1"})"));
    EXPECT_EQ(Json::parse(encode_join({.room = "r", .since = 42, .epoch = "e1", .ref = "~1"})),
              Json::parse(R"({"type":"join","room":"r","since":42,"epoch":"e1","ref":"~1"})"));
    EXPECT_EQ(Json::parse(encode_join({.room = "r", .history = 5})),
              Json::parse(R"({"type":"join","room":"r","history":5})"));
    EXPECT_EQ(Json::parse(encode_leave("r", "~2")),
              Json::parse(R"({"type":"leave","room":"r","ref":"~2"})"));
    EXPECT_EQ(Json::parse(encode_members("r", "~3")),
              Json::parse(R"({"type":"members","room":"r","ref":"~3"})"));
}

TEST(ClientV1Codec, PubSplicesCompactDataAndUsesTheIdAsRef) {
    auto data = compact_data(R"( { "text" : "hi \"all\"" , "n" : [1, 2] } )");
    ASSERT_TRUE(data);
    const std::string pub = encode_pub("lobby", *data, Qos::AtLeastOnce, "c-7");
    EXPECT_EQ(Json::parse(pub), Json::parse(R"({"type":"pub","room":"lobby","qos":1,"id":"c-7",
        "ref":"c-7","data":{"text":"hi \"all\"","n":[1,2]}})"));
    EXPECT_EQ(pub.find(' '), pub.find("hi \\\"all") + 2) << "compact apart from the text";
}

TEST(ClientV1Codec, CompactDataRefusesNonJsonAndTooLarge) {
    auto bad = compact_data("{not json");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(compact_data("1 2"));
    auto big = compact_data("\"" + std::string(kMaxDataBytes, 'x') + "\"");
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, ErrorCode::TooLarge);
    EXPECT_TRUE(compact_data("null"));
}

TEST(ClientV1Codec, DecodesEveryServerMessage) {
    auto m = decode_server_message(
        R"({"type":"msg","room":"r","seq":43,"qos":1,"id":"c-7","from":{"nick":"a","session":"s"},"ts":5,"data":{"x":[1]}})");
    ASSERT_TRUE(m);
    const auto& msg = std::get<Message>(*m);
    EXPECT_EQ(msg.seq, 43u);
    EXPECT_EQ(msg.id, "c-7");
    EXPECT_EQ(msg.from.nick, "a");
    EXPECT_EQ(msg.data, R"({"x":[1]})");

    auto j = decode_server_message(
        R"({"type":"joined","room":"r","epoch":"e","last_seq":3,"recovered":false,"reason":"epoch_changed","ref":"~1"})");
    ASSERT_TRUE(j);
    EXPECT_EQ(std::get<JoinedReply>(*j).joined.reason, "epoch_changed");
    EXPECT_EQ(std::get<JoinedReply>(*j).ref, "~1");

    auto a =
        decode_server_message(R"({"type":"ack","room":"r","id":"c-7","seq":43,"duplicate":true})");
    ASSERT_TRUE(a);
    EXPECT_TRUE(std::get<Ack>(*a).duplicate);

    auto e = decode_server_message(
        R"({"type":"error","code":"not_joined","message":"m","field":"room","ref":"c-9"})");
    ASSERT_TRUE(e);
    EXPECT_EQ(std::get<ServerError>(*e).ref, "c-9");

    auto w = decode_server_message(
        R"({"type":"welcome","session":"s-1","nick":"a","server":"confab/0.1","ping_interval_ms":30000,"max_message_size":1048576})");
    ASSERT_TRUE(w);
    EXPECT_EQ(std::get<Welcome>(*w).session, "s-1");
    EXPECT_EQ(std::get<Welcome>(*w).member.session, "") << "no member: an older server";

    auto members = decode_server_message(
        R"({"type":"members","room":"r","members":[{"nick":"a","session":"s","via":"ws"}],"ref":"~4"})");
    ASSERT_TRUE(members);
    EXPECT_EQ(std::get<MembersReply>(*members).members.at(0).via, "ws");

    auto p = decode_server_message(
        R"({"type":"presence","room":"r","event":"leave","member":{"nick":"b","session":"t","via":"telnet"}})");
    ASSERT_TRUE(p);
    EXPECT_FALSE(std::get<Presence>(*p).joined);
}

TEST(ClientV1Codec, WelcomeCarriesThePublicMemberApartFromTheSession) {
    auto w = decode_server_message(
        R"({"type":"welcome","session":"s-abc","nick":"a",)"
        R"("member":{"nick":"a","session":"m-5e8116d8897d26a6","via":"ws"},)"
        R"("server":"confab/0.1","ping_interval_ms":30000,"max_message_size":1048576})");
    ASSERT_TRUE(w);
    const Welcome& welcome = std::get<Welcome>(*w);
    EXPECT_EQ(welcome.session, "s-abc");
    EXPECT_EQ(welcome.member.session, "m-5e8116d8897d26a6");
    EXPECT_EQ(welcome.member.nick, "a");
    EXPECT_EQ(welcome.member.via, "ws");
    // A member that is not an object is ignored, not a reason to drop the connection.
    auto odd = decode_server_message(R"({"type":"welcome","session":"s-1","member":5})");
    ASSERT_TRUE(odd);
    EXPECT_EQ(std::get<Welcome>(*odd).member.session, "");
}

TEST(ClientV1Codec, QosZeroMessagesHaveNoSeq) {
    auto m = decode_server_message(
        R"({"type":"msg","room":"r","qos":0,"from":{"nick":"a","session":"s"},"ts":1,"data":null})");
    ASSERT_TRUE(m);
    EXPECT_EQ(std::get<Message>(*m).qos, Qos::AtMostOnce);
    EXPECT_EQ(std::get<Message>(*m).data, "null");
}

TEST(ClientV1Codec, UnknownTypesAndFieldsAreTolerated) {
    auto u = decode_server_message(R"({"type":"future_thing","x":1})");
    ASSERT_TRUE(u);
    EXPECT_EQ(std::get<Unknown>(*u).type, "future_thing");
    EXPECT_TRUE(decode_server_message(R"({"type":"pong","extra":[1,2,3]})"));
}

TEST(ClientV1Codec, MalformedMessagesAreProtocolErrors) {
    for (const char* bad : {"not json", "[1]", R"({"no":"type"})", R"({"type":5})",
                            R"({"type":"msg","room":"r","qos":1,"data":1})",
                            R"({"type":"msg","room":"r","qos":1,"seq":-1,"data":1})",
                            R"({"type":"ack","room":"r","id":"x","seq":"1"})",
                            R"({"type":"joined","room":"r","epoch":"e","last_seq":1})"}) {
        auto r = decode_server_message(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::ProtocolError) << bad;
    }
}

TEST(ClientV1Codec, ValidatesNicksAndIds) {
    EXPECT_TRUE(is_valid_nick("alice_1.x-y"));
    EXPECT_FALSE(is_valid_nick(""));
    EXPECT_FALSE(is_valid_nick("with space"));
    EXPECT_FALSE(is_valid_nick(std::string(33, 'a')));
    EXPECT_TRUE(is_valid_id("any printable ~!"));
    EXPECT_FALSE(is_valid_id(std::string(65, 'a')));
    EXPECT_FALSE(is_valid_id("tab\there"));
}

}  // namespace
}  // namespace confab::client::wire
