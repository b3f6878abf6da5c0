// parse_command: every confab.v1 command with all its fields, and every way a field can be
// missing or wrong, each reported with the field's name.
#include "proto/command.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace confab::proto {
namespace {

using json = nlohmann::json;

template <typename T>
T parse_as(const std::string& text, const Limits& limits = {}) {
    auto result = parse_command(text, limits);
    EXPECT_TRUE(result.has_value()) << text << " → " << result.error().message;
    EXPECT_TRUE(std::holds_alternative<T>(*result)) << text;
    return std::get<T>(*result);
}

ProtoError parse_error(const std::string& text, const Limits& limits = {}) {
    auto result = parse_command(text, limits);
    EXPECT_FALSE(result.has_value()) << text << " parsed";
    return result ? ProtoError{} : result.error();
}

// Expects bad_request naming `field`, both in `field` and at the start of the message.
void expect_bad_request(const std::string& text, const std::string& field) {
    SCOPED_TRACE(text);
    ProtoError error = parse_error(text);
    EXPECT_EQ(error.code, ErrorCode::BadRequest);
    EXPECT_EQ(error.field, field);
    EXPECT_EQ(error.message.rfind(field + ": ", 0), 0u) << error.message;
}

TEST(ProtoParse, HelloWithAllFields) {
    auto hello =
        parse_as<Hello>(R"({"type":"hello","nick":"al.ice_-9","session":"s-1_X","ref":"r1"})");
    EXPECT_EQ(hello.nick, "al.ice_-9");
    EXPECT_EQ(hello.session, "s-1_X");
    EXPECT_EQ(hello.ref, "r1");
}

TEST(ProtoParse, HelloWithoutOptionalFields) {
    auto hello = parse_as<Hello>(R"({"type":"hello","nick":"bob"})");
    EXPECT_EQ(hello.nick, "bob");
    EXPECT_FALSE(hello.session);
    EXPECT_FALSE(hello.ref);
}

TEST(ProtoParse, JoinWithAllFields) {
    auto join =
        parse_as<Join>(R"({"type":"join","room":"resources/books:42","since":18446744073709551615,)"
                       R"("epoch":"e-7 x","history":1000,"ref":"j"})");
    EXPECT_EQ(join.room, "resources/books:42");
    EXPECT_EQ(join.since, UINT64_MAX);
    EXPECT_EQ(join.epoch, "e-7 x");
    EXPECT_EQ(join.history, 1000u);
    EXPECT_EQ(join.ref, "j");
}

TEST(ProtoParse, JoinDefaultsToNoResumeAndNoHistory) {
    auto join = parse_as<Join>(R"({"type":"join","room":"lobby"})");
    EXPECT_FALSE(join.since);
    EXPECT_FALSE(join.epoch);
    EXPECT_EQ(join.history, 0u);
}

TEST(ProtoParse, JoinAcceptsSinceZero) {
    EXPECT_EQ(parse_as<Join>(R"({"type":"join","room":"r","since":0,"epoch":"e"})").since, 0u);
}

TEST(ProtoParse, LeaveMembersAndPingWithAllFields) {
    auto leave = parse_as<Leave>(R"({"type":"leave","room":"lobby","ref":"l"})");
    EXPECT_EQ(leave.room, "lobby");
    EXPECT_EQ(leave.ref, "l");
    auto members = parse_as<Members>(R"({"type":"members","room":"lobby","ref":"m"})");
    EXPECT_EQ(members.room, "lobby");
    EXPECT_EQ(members.ref, "m");
    EXPECT_EQ(parse_as<Ping>(R"({"type":"ping","ref":"p"})").ref, "p");
    EXPECT_FALSE(parse_as<Ping>(R"({"type":"ping"})").ref);
}

TEST(ProtoParse, PubQos1WithAllFields) {
    auto pub =
        parse_as<Pub>(R"({"type":"pub","room":"lobby","data":{"text":"hi", "n": [1, 2.5, null]},)"
                      R"("qos":1,"id":"m 1!~","ref":"p"})");
    EXPECT_EQ(pub.room, "lobby");
    EXPECT_EQ(pub.data, R"({"text":"hi","n":[1,2.5,null]})");  // compact, in the order sent
    EXPECT_EQ(pub.qos, rooms::Qos::Guaranteed);
    EXPECT_EQ(pub.id, "m 1!~");
    EXPECT_FALSE(pub.ttl_ms);
    EXPECT_EQ(pub.ref, "p");
}

TEST(ProtoParse, PubQos0WithAllFields) {
    auto pub = parse_as<Pub>(
        R"({"type":"pub","room":"cursor","data":[3,4],"qos":0,"id":"c1","ttl_ms":3600000})");
    EXPECT_EQ(pub.qos, rooms::Qos::Droppable);
    EXPECT_EQ(pub.data, "[3,4]");
    EXPECT_EQ(pub.id, "c1");
    EXPECT_EQ(pub.ttl_ms, 3600000u);
}

TEST(ProtoParse, PubDefaultsToQos1) {
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","data":1,"id":"a"})").qos,
              rooms::Qos::Guaranteed);
}

TEST(ProtoParse, PubQos0NeedsNoId) {
    auto pub = parse_as<Pub>(R"({"type":"pub","room":"r","data":"x","qos":0})");
    EXPECT_FALSE(pub.id);
    EXPECT_FALSE(pub.ttl_ms);
}

TEST(ProtoParse, PubAcceptsEveryKindOfJsonAsData) {
    for (std::string data : {"null", "true", "false", "0", "-1.5", "\"s\"", "[]", "{}"}) {
        auto pub = parse_as<Pub>(R"({"type":"pub","room":"r","qos":0,"data":)" + data + "}");
        EXPECT_EQ(pub.data, data);
    }
}

TEST(ProtoParse, PubWithQos1RequiresId) {
    expect_bad_request(R"({"type":"pub","room":"r","data":1})", "id");
    expect_bad_request(R"({"type":"pub","room":"r","data":1,"qos":1})", "id");
    expect_bad_request(R"({"type":"pub","room":"r","data":1,"qos":1,"id":null})", "id");
}

TEST(ProtoParse, PubRejectsTtlOnQos1) {
    expect_bad_request(R"({"type":"pub","room":"r","data":1,"id":"a","ttl_ms":10})", "ttl_ms");
}

TEST(ProtoParse, PubRequiresDataButNullIsData) {
    expect_bad_request(R"({"type":"pub","room":"r","id":"a"})", "data");
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","id":"a","data":null})").data, "null");
}

TEST(ProtoParse, PubDataKeepsUnicodeAndEscapesLineSeparators) {
    auto pub = parse_as<Pub>(
        R"({"type":"pub","room":"r","id":"a","data":"\u00e9\ud83d\ude00\u2028\u2029\n\"\\"})");
    EXPECT_EQ(pub.data, "\"\xC3\xA9\xF0\x9F\x98\x80\\u2028\\u2029\\n\\\"\\\\\"");
    EXPECT_EQ(json::parse(pub.data), "\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA8\xE2\x80\xA9\n\"\\");
}

TEST(ProtoParse, PubDataOverTheLimitIsTooLarge) {
    Limits limits;
    limits.max_data_bytes = 10;
    // "0123456789" is 12 bytes of JSON with its quotes; "01234567" exactly 10.
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","id":"a","data":"01234567"})", limits)
                  .data.size(),
              10u);
    ProtoError error =
        parse_error(R"({"type":"pub","room":"r","id":"a","data":"0123456789","ref":"x"})", limits);
    EXPECT_EQ(error.code, ErrorCode::TooLarge);
    EXPECT_EQ(error.field, "data");
    EXPECT_EQ(error.ref, "x");
}

TEST(ProtoParse, DataLimitCountsCompactJsonNotTheClientsWhitespace) {
    Limits limits;
    limits.max_data_bytes = 7;
    std::string padded = R"({"type":"pub","room":"r","id":"a","data":[ 1 ,   2 ,    3 ]})";
    EXPECT_EQ(parse_as<Pub>(padded, limits).data, "[1,2,3]");
}

TEST(ProtoParse, DefaultDataLimitIs64KiB) {
    std::string fits(64 * 1024 - 2, 'x');
    std::string text = R"({"type":"pub","room":"r","id":"a","data":")" + fits + "\"}";
    EXPECT_EQ(parse_as<Pub>(text).data.size(), 64u * 1024);
    EXPECT_EQ(parse_error(R"({"type":"pub","room":"r","id":"a","data":")" + fits + "x\"}").code,
              ErrorCode::TooLarge);
}

TEST(ProtoParse, DeepNestingIsTooLargeNotACrash) {
    std::string deep = R"({"type":"pub","room":"r","id":"a","data":)" + std::string(100000, '[') +
                       std::string(100000, ']') + "}";
    EXPECT_EQ(parse_error(deep).code, ErrorCode::TooLarge);
    // Brackets inside strings are not nesting.
    std::string text = R"({"type":"pub","room":"r","id":"a","data":")" + std::string(100, '[') +
                       "\\\"" + std::string(100, '{') + "\"}";
    EXPECT_EQ(parse_as<Pub>(text).data.size(), 204u);
}

TEST(ProtoParse, NestingUpToTheLimitIsAccepted) {
    Limits limits;
    limits.max_depth = 3;  // the command object, then two levels of data
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","id":"a","data":[[1]]})", limits).data,
              "[[1]]");
    EXPECT_EQ(parse_error(R"({"type":"pub","room":"r","id":"a","data":[[[1]]]})", limits).code,
              ErrorCode::TooLarge);
}

TEST(ProtoParse, BadJsonReportsTheByteOffset) {
    ProtoError error = parse_error(R"({"type":"ping",})");
    EXPECT_EQ(error.code, ErrorCode::BadJson);
    EXPECT_EQ(error.offset, 15u);  // the '}' where a key was expected
    EXPECT_NE(error.message.find("byte 15"), std::string::npos) << error.message;
}

TEST(ProtoParse, BadJsonAtEndOfInputAndTrailingGarbage) {
    EXPECT_EQ(parse_error(R"({"type":"ping")").offset, 14u);
    EXPECT_EQ(parse_error(R"({"type":"ping"} x)").offset, 16u);
    EXPECT_EQ(parse_error("").offset, 0u);
    EXPECT_EQ(parse_error("").code, ErrorCode::BadJson);
}

TEST(ProtoParse, BadJsonForInvalidUtf8CommentsAndLoneSurrogates) {
    EXPECT_EQ(parse_error("{\"type\":\"ping\",\"x\":\"\xFF\"}").code, ErrorCode::BadJson);
    EXPECT_EQ(parse_error("{\"type\":\"ping\"} // hi").code, ErrorCode::BadJson);
    EXPECT_EQ(parse_error(R"({"type":"ping","x":"\ud800"})").code, ErrorCode::BadJson);
    EXPECT_EQ(parse_error(R"({"type":"ping","x":1e400})").code, ErrorCode::BadJson);
}

TEST(ProtoParse, NonObjectJsonIsBadRequest) {
    for (std::string text : {"[]", "1", "\"ping\"", "null", "true", R"([{"type":"ping"}])"}) {
        ProtoError error = parse_error(text);
        EXPECT_EQ(error.code, ErrorCode::BadRequest) << text;
        EXPECT_NE(error.message.find("JSON object"), std::string::npos) << error.message;
    }
}

TEST(ProtoParse, MissingOrNonStringTypeIsBadRequest) {
    expect_bad_request(R"({"room":"r"})", "type");
    expect_bad_request(R"({"type":7})", "type");
    expect_bad_request(R"({"type":null})", "type");
}

TEST(ProtoParse, UnknownTypeIsReportedWithItsName) {
    ProtoError error = parse_error(R"({"type":"subscribe","ref":"u"})");
    EXPECT_EQ(error.code, ErrorCode::UnknownType);
    EXPECT_NE(error.message.find("\"subscribe\""), std::string::npos);
    EXPECT_EQ(error.ref, "u");
    EXPECT_EQ(parse_error(R"({"type":"PING"})").code, ErrorCode::UnknownType);
}

TEST(ProtoParse, UnknownTypeDoesNotEchoAHugeName) {
    ProtoError error = parse_error(R"({"type":")" + std::string(10000, 'z') + "\"}");
    EXPECT_EQ(error.code, ErrorCode::UnknownType);
    EXPECT_LT(error.message.size(), 100u);
}

TEST(ProtoParse, UnknownFieldsAreIgnored) {
    auto join = parse_as<Join>(R"({"type":"join","room":"r","future":{"x":[1]},"v":2})");
    EXPECT_EQ(join.room, "r");
}

TEST(ProtoParse, NullOptionalFieldsCountAsAbsent) {
    auto join = parse_as<Join>(
        R"({"type":"join","room":"r","since":null,"epoch":null,"history":null,"ref":null})");
    EXPECT_FALSE(join.since);
    EXPECT_FALSE(join.ref);
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","data":1,"qos":null,"id":"a"})").qos,
              rooms::Qos::Guaranteed);
}

TEST(ProtoParse, ErrorsEchoTheRef) {
    EXPECT_EQ(parse_error(R"({"type":"join","ref":"abc"})").ref, "abc");
    EXPECT_EQ(parse_error(R"({"ref":"abc"})").ref, "abc");
    EXPECT_FALSE(parse_error(R"({"type":"join"})").ref);
}

TEST(ProtoParse, RefIsAnyStringUpTo64Bytes) {
    EXPECT_EQ(parse_as<Ping>(R"({"type":"ping","ref":""})").ref, "");
    std::string ref64(64, 'r');
    EXPECT_EQ(parse_as<Ping>(R"({"type":"ping","ref":")" + ref64 + "\"}").ref, ref64);
    EXPECT_EQ(parse_as<Ping>(R"({"type":"ping","ref":"\u00e9\n"})").ref, "\xC3\xA9\n");
    expect_bad_request(R"({"type":"ping","ref":")" + ref64 + "r\"}", "ref");
    expect_bad_request(R"({"type":"ping","ref":5})", "ref");
}

TEST(ProtoParse, HelloFieldErrorsNameTheField) {
    expect_bad_request(R"({"type":"hello"})", "nick");
    expect_bad_request(R"({"type":"hello","nick":""})", "nick");
    expect_bad_request(R"({"type":"hello","nick":")" + std::string(33, 'n') + "\"}", "nick");
    expect_bad_request(R"({"type":"hello","nick":"a b"})", "nick");
    expect_bad_request(R"({"type":"hello","nick":"a/b"})", "nick");
    expect_bad_request(R"({"type":"hello","nick":42})", "nick");
    expect_bad_request(R"({"type":"hello","nick":"a","session":""})", "session");
    expect_bad_request(R"({"type":"hello","nick":"a","session":"a.b"})", "session");
    expect_bad_request(
        R"({"type":"hello","nick":"a","session":)" + json(std::string(65, 's')).dump() + "}",
        "session");
    expect_bad_request(R"({"type":"hello","nick":"a","session":1})", "session");
    EXPECT_EQ(
        parse_as<Hello>(R"({"type":"hello","nick":")" + std::string(32, 'n') + "\"}").nick.size(),
        32u);
}

TEST(ProtoParse, RoomFieldErrorsNameTheField) {
    for (std::string type : {"join", "leave", "pub", "members"}) {
        std::string head = R"({"type":")" + type + R"(","data":1,"id":"a")";
        expect_bad_request(head + "}", "room");
        expect_bad_request(head + R"(,"room":""})", "room");
        expect_bad_request(head + R"(,"room":"/a"})", "room");
        expect_bad_request(head + R"(,"room":"a/"})", "room");
        expect_bad_request(head + R"(,"room":"a b"})", "room");
        expect_bad_request(head + R"(,"room":")" + std::string(129, 'r') + "\"}", "room");
        expect_bad_request(head + R"(,"room":["a"]})", "room");
    }
}

TEST(ProtoParse, JoinFieldErrorsNameTheField) {
    std::string head = R"({"type":"join","room":"r")";
    expect_bad_request(head + R"(,"since":-1,"epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":1.5,"epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":5.0,"epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":"5","epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":18446744073709551616,"epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":5})", "epoch");
    expect_bad_request(head + R"(,"epoch":"e"})", "since");
    expect_bad_request(head + R"(,"since":5,"epoch":""})", "epoch");
    expect_bad_request(head + R"(,"since":5,"epoch":"\u0001"})", "epoch");
    expect_bad_request(head + R"(,"since":5,"epoch":)" + json(std::string(65, 'e')).dump() + "}",
                       "epoch");
    expect_bad_request(head + R"(,"since":5,"epoch":7})", "epoch");
    expect_bad_request(head + R"(,"history":1001})", "history");
    expect_bad_request(head + R"(,"history":-1})", "history");
    expect_bad_request(head + R"(,"history":true})", "history");
    EXPECT_EQ(parse_as<Join>(head + R"(,"history":0})").history, 0u);
}

TEST(ProtoParse, PubFieldErrorsNameTheField) {
    std::string head = R"({"type":"pub","room":"r","data":1)";
    expect_bad_request(head + R"(,"qos":2,"id":"a"})", "qos");
    expect_bad_request(head + R"(,"qos":-1,"id":"a"})", "qos");
    expect_bad_request(head + R"(,"qos":"1","id":"a"})", "qos");
    expect_bad_request(head + R"(,"qos":1.0,"id":"a"})", "qos");
    expect_bad_request(head + R"(,"qos":true,"id":"a"})", "qos");
    expect_bad_request(head + R"(,"id":""})", "id");
    expect_bad_request(head + R"(,"id":)" + json(std::string(65, 'i')).dump() + "}", "id");
    expect_bad_request(head + R"(,"id":"tab\there"})", "id");
    expect_bad_request(head + R"(,"id":"caf\u00e9"})", "id");
    expect_bad_request(head + R"(,"id":12})", "id");
    expect_bad_request(head + R"(,"qos":0,"id":""})", "id");
    expect_bad_request(head + R"(,"qos":0,"ttl_ms":0})", "ttl_ms");
    expect_bad_request(head + R"(,"qos":0,"ttl_ms":3600001})", "ttl_ms");
    expect_bad_request(head + R"(,"qos":0,"ttl_ms":"5"})", "ttl_ms");
    EXPECT_EQ(parse_as<Pub>(head + R"(,"qos":0,"ttl_ms":1})").ttl_ms, 1u);
}

TEST(ProtoParse, DuplicateKeysKeepTheLastValue) {
    EXPECT_EQ(parse_as<Join>(R"({"type":"join","room":"a","room":"b"})").room, "b");
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","qos":0,"data":1,"data":[2]})").data, "[2]");
}

// Frames up to 16 KiB take simdjson; larger ones, and whatever simdjson refuses, go to
// nlohmann. Both write data back the same way (only object keys differ: nlohmann sorts them).
TEST(ProtoParse, PubDataIsTheSameCompactJsonOnBothParsers) {
    const std::string data = R"([1.5, 1.0, 1e2, -0, 0.1, 1e-7, -0.0, "\u00e9\t", {"k": null}])";
    const std::string compact = R"([1.5,1.0,100.0,0,0.1,1e-07,-0.0,"é\t",{"k":null}])";
    const std::string small = R"({"type":"pub","room":"r","qos":0,"data":)" + data + "}";
    const std::string big = R"({"type":"pub","room":"r","qos":0,"pad":")" +
                            std::string(20'000, 'p') + R"(","data":)" + data + "}";
    EXPECT_EQ(parse_as<Pub>(small).data, compact);
    EXPECT_EQ(parse_as<Pub>(big).data, compact);
}

TEST(ProtoParse, FramesTheFastParserRefusesAreStillAccepted) {
    // A byte-order mark, and an integer past 64 bits (nlohmann makes it a double).
    EXPECT_EQ(parse_as<Pub>("\xEF\xBB\xBF" R"({"type":"pub","room":"r","qos":0,"data":1})").data, "1");
    EXPECT_EQ(parse_as<Pub>(R"({"type":"pub","room":"r","qos":0,"data":18446744073709551616})").data,
              "1.8446744073709552e+19");
}

TEST(ProtoParse, TypeAndRefOfACommand) {
    auto command = parse_command(R"({"type":"members","room":"r","ref":"q"})");
    ASSERT_TRUE(command);
    EXPECT_EQ(type_of(*command), "members");
    EXPECT_EQ(ref_of(*command), "q");
}

TEST(ProtoError, CodesHaveTheirWireNames) {
    EXPECT_EQ(to_string(ErrorCode::BadJson), "bad_json");
    EXPECT_EQ(to_string(ErrorCode::BadRequest), "bad_request");
    EXPECT_EQ(to_string(ErrorCode::UnknownType), "unknown_type");
    EXPECT_EQ(to_string(ErrorCode::TooLarge), "too_large");
    EXPECT_EQ(to_string(ErrorCode::NotJoined), "not_joined");
    EXPECT_EQ(to_string(ErrorCode::NoHello), "no_hello");
    EXPECT_EQ(to_string(ErrorCode::InvalidRoom), "invalid_room");
    EXPECT_EQ(to_string(ErrorCode::RateLimited), "rate_limited");
    EXPECT_EQ(to_string(ErrorCode::Unavailable), "unavailable");
    EXPECT_EQ(to_string(ErrorCode::Internal), "internal");
}

}  // namespace
}  // namespace confab::proto
