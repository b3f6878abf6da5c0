// room_message_builder: a message is built in the forms someone online can read (plain-room
// frame, confab.v1 envelope, telnet line), once, and each form says the same thing.
#include "session/room_message_builder.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace confab::session {
namespace {

using json = nlohmann::json;

class RoomMessageBuilderTest : public ::testing::Test {
protected:
    // Counts as the sessions' AudienceSeats would.
    void online(int plain, int v1, int telnet) {
        audience_.plain_online = plain;
        audience_.v1_online = v1;
        audience_.telnet_online = telnet;
    }

    rooms::RoomMessagePtr v1_publish(std::string data, rooms::Qos qos) {
        return build_chat_message(ctx_, {.room = "lobby",
                                         .line = chat_line_from_v1("alice", "m-1", std::move(data)),
                                         .qos = qos,
                                         .seq = qos == rooms::Qos::Guaranteed ? 7u : 0u,
                                         .ts_ms = 1000,
                                         .sender = 3});
    }

    static json v1_envelope(const rooms::RoomMessage& m) {
        // Unmasked server frames: a 2-byte header, plus 2 length bytes past 125 bytes.
        std::string_view frame = m.v1_frame->view();
        const bool extended = (static_cast<unsigned char>(frame[1]) & 0x7f) == 126;
        return json::parse(frame.substr(extended ? 4 : 2));
    }

    SessionConfig config_{.permessage_deflate = false};
    Audience audience_;
    BuildContext ctx_{config_, audience_};
};

TEST_F(RoomMessageBuilderTest, BuildsEveryFormWhenEveryKindOfReceiverIsOnline) {
    online(1, 1, 1);
    auto m = v1_publish(R"({"text":"hi"})", rooms::Qos::Droppable);
    ASSERT_TRUE(m->ws_frame && m->v1_frame && m->telnet_line);
    EXPECT_EQ(json::parse(m->payload()), (json{{"nick", "alice"}, {"text", "hi"}}));
    EXPECT_EQ(v1_envelope(*m)["data"], (json{{"text", "hi"}}));
    EXPECT_EQ(m->telnet_line->view(), "[alice]: hi\r\n");
}

TEST_F(RoomMessageBuilderTest, OnlyV1MembersOnlineGetsOnlyTheEnvelope) {
    online(0, 2, 0);
    auto m = v1_publish(R"({"text":"hi"})", rooms::Qos::Droppable);
    EXPECT_FALSE(m->ws_frame);
    EXPECT_FALSE(m->telnet_line);
    ASSERT_TRUE(m->v1_frame);
    EXPECT_EQ(v1_envelope(*m)["from"]["nick"], "alice");
}

TEST_F(RoomMessageBuilderTest, OnlyPlainMembersOnlineSkipsTheEnvelopeOfADroppableMessage) {
    online(1, 0, 0);
    auto m = v1_publish(R"("typing")", rooms::Qos::Droppable);
    EXPECT_FALSE(m->v1_frame);
    ASSERT_TRUE(m->ws_frame);
    EXPECT_EQ(json::parse(m->payload()), (json{{"nick", "alice"}, {"text", "typing"}}));
}

TEST_F(RoomMessageBuilderTest, GuaranteedMessageAlwaysHasItsEnvelope) {
    // A v1 member may be joining on another loop before the counter shows it: its seq must
    // not have a hole.
    online(1, 0, 0);
    auto m = v1_publish(R"({"text":"stored"})", rooms::Qos::Guaranteed);
    ASSERT_TRUE(m->v1_frame);
    EXPECT_EQ(v1_envelope(*m)["seq"], 7);
}

TEST_F(RoomMessageBuilderTest, DataThatIsNotTextReachesPlainRoomsAsData) {
    online(1, 0, 1);
    auto m = v1_publish(R"({"x":1})", rooms::Qos::Droppable);
    EXPECT_EQ(json::parse(m->payload()), (json{{"nick", "alice"}, {"data", {{"x", 1}}}}));
    EXPECT_EQ(m->telnet_line->view(), std::string("[alice]: {\"x\":1}\r\n"));
}

TEST_F(RoomMessageBuilderTest, PresenceHasAnAudienceOnlyInV1MembersOrTelnetUsers) {
    online(5, 0, 0);
    EXPECT_FALSE(presence_has_audience(ctx_));
    online(5, 1, 0);
    EXPECT_TRUE(presence_has_audience(ctx_));
    online(0, 0, 1);
    EXPECT_TRUE(presence_has_audience(ctx_));
}

}  // namespace
}  // namespace confab::session
