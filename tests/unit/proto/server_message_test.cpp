// confab.v1 encoders: exact compact output with a stable field order, and output that any
// JSON parser reads back to the same fields, however nasty the strings.
#include "proto/server_message.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proto/command.hpp"

namespace confab::proto {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;

const std::vector<std::string> kNastyStrings = {
    "plain",
    "quote \" backslash \\ slash /",
    "\\\"\\\\\"",
    "controls \x01\x02\x1F\x7F \b\f\n\r\t"s,
    "nul \0 inside"s,
    "separators \xE2\x80\xA8 and \xE2\x80\xA9",
    "emoji \xF0\x9F\x98\x80 zwj \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
    "accents \xC3\xA9\xC3\xB1 cjk \xE4\xB8\xAD\xE6\x96\x87",
    "</script><!--",
    "{\"type\":\"msg\"}",
    "",
};

TEST(ProtoEncode, WelcomeIsCompactWithStableFieldOrder) {
    EXPECT_EQ(encode_welcome({.session = "s1",
                              .nick = "alice",
                              .member = {"alice", "m-0123456789abcdef", "ws"},
                              .ping_interval_ms = 25000,
                              .max_message_size = 1048576}),
              R"({"type":"welcome","session":"s1","nick":"alice",)"
              R"("member":{"nick":"alice","session":"m-0123456789abcdef","via":"ws"},)"
              R"("server":"confab/0.1","ping_interval_ms":25000,"max_message_size":1048576})");
}

TEST(ProtoEncode, WelcomeMemberHasTheShapeOfFromAndPresenceMember) {
    // A client recognises its own messages by comparing from.session with
    // welcome.member.session: the two objects must be written alike.
    const rooms::MemberInfo me{"alice", "m-5e8116d8897d26a6", "ws"};
    json w = json::parse(encode_welcome({.session = "s-abc", .nick = "alice", .member = me}));
    json m = json::parse(encode_msg({.room = "r",
                                     .from_nick = me.nick,
                                     .from_session = me.session,
                                     .from_via = me.via,
                                     .data = "1"}));
    json p = json::parse(encode_presence("r", PresenceEvent::Join, me));
    EXPECT_EQ(w["member"], m["from"]);
    EXPECT_EQ(w["member"], p["member"]);
    EXPECT_EQ(w["session"], "s-abc");
    EXPECT_NE(w["member"]["session"], w["session"]);
}

TEST(ProtoEncode, JoinedRecoveredWithRef) {
    EXPECT_EQ(encode_joined(
                  {.room = "lobby", .epoch = "e1", .last_seq = 42, .recovered = true, .ref = "j1"}),
              R"({"type":"joined","room":"lobby","epoch":"e1","last_seq":42,"recovered":true,)"
              R"("ref":"j1"})");
}

TEST(ProtoEncode, JoinedNotRecoveredCarriesTheReason) {
    const std::pair<ResumeReason, const char*> reasons[] = {
        {ResumeReason::NoSince, "no_since"},
        {ResumeReason::EpochChanged, "epoch_changed"},
        {ResumeReason::HistoryTrimmed, "history_trimmed"},
        {ResumeReason::Empty, "empty"}};
    for (auto [reason, name] : reasons) {
        EXPECT_EQ(encode_joined({.room = "r", .epoch = "e", .last_seq = 0, .reason = reason}),
                  std::string(R"({"type":"joined","room":"r","epoch":"e","last_seq":0,)") +
                      R"("recovered":false,"reason":")" + name + "\"}");
    }
}

TEST(ProtoEncode, MsgQos1HasSeqAndSplicesDataVerbatim) {
    EXPECT_EQ(encode_msg({.room = "lobby",
                          .qos = rooms::Qos::Guaranteed,
                          .seq = 7,
                          .id = "m1",
                          .from_nick = "alice",
                          .from_session = "s1",
                          .ts_ms = 1700000000123,
                          .data = R"({"text":"hi"})"}),
              R"({"type":"msg","room":"lobby","seq":7,"qos":1,"id":"m1",)"
              R"("from":{"nick":"alice","session":"s1","via":"ws"},"ts":1700000000123,)"
              R"("data":{"text":"hi"}})");
}

TEST(ProtoEncode, MsgQos0HasNoSeqAndIdOnlyWhenGiven) {
    EXPECT_EQ(encode_msg({.room = "r",
                          .qos = rooms::Qos::Droppable,
                          .seq = 99,
                          .from_nick = "b",
                          .from_session = "s",
                          .from_via = "telnet",
                          .ts_ms = 5,
                          .data = "[1,2]"}),
              R"({"type":"msg","room":"r","qos":0,"from":{"nick":"b","session":"s","via":"telnet"},)"
              R"("ts":5,"data":[1,2]})");
}

TEST(ProtoEncode, MsgFieldsParseBackForNastyStrings) {
    for (const std::string& s : kNastyStrings) {
        json pub_text = {{"type", "pub"}, {"room", "r"}, {"qos", 0}, {"data", {{"s", s}}}};
        auto pub = parse_command(pub_text.dump());
        ASSERT_TRUE(pub) << pub.error().message;
        std::string out = encode_msg({.room = "r",
                                      .seq = 1,
                                      .id = s,
                                      .from_nick = s,
                                      .from_session = s,
                                      .ts_ms = -1,
                                      .data = std::get<Pub>(*pub).data});
        json m = json::parse(out);
        EXPECT_EQ(m["id"], s);
        EXPECT_EQ(m["from"]["nick"], s);
        EXPECT_EQ(m["from"]["session"], s);
        EXPECT_EQ(m["data"]["s"], s);
        EXPECT_EQ(m["ts"], -1);
        EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);  // escaped for JavaScript
        EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos);
    }
}

TEST(ProtoEncode, PubDataRoundTripsIntoMsgUnchanged) {
    std::string text =
        R"({"type":"pub","room":"r","id":"a","data":)"
        R"({"s":"\"\\\/\b\f\n\r\t\u0000\u2028\ud83d\ude00\u00e9","n":[1,-2,3.5e10,true,null]}})";
    auto command = parse_command(text);
    ASSERT_TRUE(command) << command.error().message;
    const auto& pub = std::get<Pub>(*command);
    std::string out = encode_msg({.room = pub.room,
                                  .seq = 1,
                                  .id = pub.id,
                                  .from_nick = "n",
                                  .from_session = "s",
                                  .ts_ms = 1,
                                  .data = pub.data});
    EXPECT_EQ(json::parse(out)["data"], json::parse(text)["data"]);
    EXPECT_EQ(json::parse(out)["data"]["s"],
              "\"\\/\b\f\n\r\t"s + '\0' + "\xE2\x80\xA8\xF0\x9F\x98\x80\xC3\xA9");
}

TEST(ProtoEncode, AckLeftPongAreCompact) {
    EXPECT_EQ(encode_ack({.room = "r", .id = "m1", .seq = 3, .duplicate = true}),
              R"({"type":"ack","room":"r","id":"m1","seq":3,"duplicate":true})");
    EXPECT_EQ(
        encode_ack({.room = "r", .id = "m1", .seq = 18446744073709551615u}),
        R"({"type":"ack","room":"r","id":"m1","seq":18446744073709551615,"duplicate":false})");
    EXPECT_EQ(encode_left("r"), R"({"type":"left","room":"r"})");
    EXPECT_EQ(encode_left("r", "x"), R"({"type":"left","room":"r","ref":"x"})");
    EXPECT_EQ(encode_pong(), R"({"type":"pong"})");
    EXPECT_EQ(encode_pong("p\"1"), R"({"type":"pong","ref":"p\"1"})");
}

TEST(ProtoEncode, PresenceNamesTheEventAndMember) {
    EXPECT_EQ(encode_presence("r", PresenceEvent::Join, {"alice", "s1", "ws"}),
              R"({"type":"presence","room":"r","event":"join",)"
              R"("member":{"nick":"alice","session":"s1","via":"ws"}})");
    EXPECT_EQ(
        json::parse(encode_presence("r", PresenceEvent::Leave, {"bob", "", "telnet"}))["event"],
        "leave");
}

TEST(ProtoEncode, MembersListsEveryMember) {
    std::vector<rooms::MemberInfo> members = {{"alice", "s1", "ws"}, {"bob", "", "telnet"}};
    EXPECT_EQ(encode_members("r", members, "m"),
              R"({"type":"members","room":"r","members":[{"nick":"alice","session":"s1",)"
              R"("via":"ws"},{"nick":"bob","session":"","via":"telnet"}],"ref":"m"})");
    EXPECT_EQ(encode_members("r", {}), R"({"type":"members","room":"r","members":[]})");
}

TEST(ProtoEncode, ErrorCarriesCodeMessageFieldOffsetAndRef) {
    EXPECT_EQ(encode_error({.code = ErrorCode::NotJoined, .message = "join r first", .ref = "x"}),
              R"({"type":"error","code":"not_joined","message":"join r first","ref":"x"})");
    auto bad = parse_command(R"({"type":"ping",})");
    ASSERT_FALSE(bad);
    json e = json::parse(encode_error(bad.error()));
    EXPECT_EQ(e["code"], "bad_json");
    EXPECT_EQ(e["offset"], 15);
    auto missing = parse_command(R"({"type":"join","ref":"q"})");
    ASSERT_FALSE(missing);
    json m = json::parse(encode_error(missing.error()));
    EXPECT_EQ(m["code"], "bad_request");
    EXPECT_EQ(m["field"], "room");
    EXPECT_EQ(m["ref"], "q");
}

TEST(ProtoEncode, EveryEncoderRoundTripsNastyStrings) {
    for (const std::string& s : kNastyStrings) {
        rooms::MemberInfo member{s, s, s};
        json w = json::parse(encode_welcome({.session = s, .nick = s, .member = member}));
        EXPECT_EQ(w["session"], s);
        EXPECT_EQ(w["nick"], s);
        EXPECT_EQ(w["member"]["session"], s);
        json j = json::parse(encode_joined({.room = s, .epoch = s, .ref = s}));
        EXPECT_EQ(j["room"], s);
        EXPECT_EQ(j["epoch"], s);
        EXPECT_EQ(j["ref"], s);
        EXPECT_EQ(json::parse(encode_ack({.room = s, .id = s}))["id"], s);
        EXPECT_EQ(json::parse(encode_left(s, s))["ref"], s);
        EXPECT_EQ(json::parse(encode_presence(s, PresenceEvent::Join, member))["member"]["via"], s);
        EXPECT_EQ(json::parse(encode_members(s, {&member, 1}))["members"][0]["nick"], s);
        EXPECT_EQ(json::parse(encode_pong(s))["ref"], s);
        EXPECT_EQ(json::parse(encode_error({.message = s}))["message"], s);
    }
}

TEST(ProtoEncode, InvalidUtf8InServerStringsStillGivesValidJson) {
    std::string out = encode_msg(
        {.room = "r", .seq = 1, .from_nick = "\xFF\xFE", .from_session = "\xC3", .data = "1"});
    json m = json::parse(out);  // throws on invalid UTF-8 or invalid JSON
    EXPECT_EQ(m["from"]["nick"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace confab::proto
