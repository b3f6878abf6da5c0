#include "notify/webhook_event.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace confab::notify {
namespace {

using nlohmann::json;

WebhookEvent member_left(std::uint64_t seq, rooms::MemberInfo member, rooms::LeaveReason reason) {
    return {.seq = seq,
            .type = EventType::MemberLeft,
            .room = "lobby",
            .time_ms = 1'700'000'000'123,
            .member = std::move(member),
            .reason = reason};
}

TEST(WebhookEvent, FormatsTimeAsIso8601UtcWithMilliseconds) {
    EXPECT_EQ(format_utc_time(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_utc_time(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(format_utc_time(951'782'400'007), "2000-02-29T00:00:00.007Z");  // leap day
    EXPECT_EQ(format_utc_time(-1), "1969-12-31T23:59:59.999Z");
}

TEST(WebhookEvent, RoomEventCarriesIdSeqTypeRoomAndTimeOnly) {
    WebhookEvent e{
        .seq = 7, .type = EventType::RoomOccupied, .room = "lobby", .time_ms = 1'700'000'000'123};
    json j = json::parse(event_json(e, "00ff00ff00ff00ff"));
    EXPECT_EQ(j, json::parse(R"({"id":"00ff00ff00ff00ff-7","seq":7,"type":"room.occupied",
                                 "room":"lobby","time":"2023-11-14T22:13:20.123Z"})"));
    e.type = EventType::RoomVacated;
    EXPECT_EQ(json::parse(event_json(e, "r"))["type"], "room.vacated");
}

TEST(WebhookEvent, MemberLeftNamesTheMemberAndTheReason) {
    json j = json::parse(
        event_json(member_left(3, {"alice", "s-5f1c", "ws"}, rooms::LeaveReason::Timeout), "r"));
    EXPECT_EQ(j["type"], "member.left");
    EXPECT_EQ(j["member"], json::parse(R"({"nick":"alice","session":"s-5f1c","via":"ws"})"));
    EXPECT_EQ(j["reason"], "timeout");
}

TEST(WebhookEvent, MemberWithoutSessionHasNoSessionField) {
    json j = json::parse(
        event_json(member_left(1, {"web-12", "", "ws"}, rooms::LeaveReason::Closed), "r"));
    EXPECT_FALSE(j["member"].contains("session"));
    EXPECT_EQ(j["reason"], "closed");
}

TEST(WebhookEvent, EveryReasonHasItsDocumentedName) {
    EXPECT_EQ(rooms::leave_reason_name(rooms::LeaveReason::Left), "left");
    EXPECT_EQ(rooms::leave_reason_name(rooms::LeaveReason::Closed), "closed");
    EXPECT_EQ(rooms::leave_reason_name(rooms::LeaveReason::Timeout), "timeout");
    EXPECT_EQ(rooms::leave_reason_name(rooms::LeaveReason::SlowConsumer), "slow-consumer");
    EXPECT_EQ(rooms::leave_reason_name(rooms::LeaveReason::Shutdown), "shutdown");
}

TEST(WebhookEvent, BatchBodyListsEventsInOrder) {
    std::vector<WebhookEvent> events = {
        {.seq = 1, .type = EventType::RoomOccupied, .room = "a"},
        member_left(2, {"bob", "telnet-4", "telnet"}, rooms::LeaveReason::Left),
        {.seq = 3, .type = EventType::RoomVacated, .room = "a"},
    };
    json body = json::parse(batch_body(events, "run"));
    ASSERT_EQ(body["events"].size(), 3u);
    EXPECT_EQ(body["events"][0]["id"], "run-1");
    EXPECT_EQ(body["events"][1]["member"]["via"], "telnet");
    EXPECT_EQ(body["events"][2]["type"], "room.vacated");
}

TEST(WebhookEvent, InvalidUtf8InANickIsReplacedNotThrown) {
    json j = json::parse(
        event_json(member_left(1, {"bad\xff", "", "ws"}, rooms::LeaveReason::Closed), "r"));
    EXPECT_EQ(j["member"]["nick"], "bad\xEF\xBF\xBD");
}

}  // namespace
}  // namespace confab::notify
