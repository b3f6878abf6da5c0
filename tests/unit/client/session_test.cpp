// The client's confab.v1 state machine without sockets: what it sends, in which order, and
// what it delivers, across simulated reconnects.
#include "client/session.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace confab::client {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class SessionTest : public ::testing::Test {
protected:
    using Clock = Session::Clock;

    // Frames the session would write now, parsed; QoS 0 frames are reported written.
    std::vector<Json> sent() {
        std::vector<OutFrame> frames;
        session.collect(frames, 1 << 20, now);
        std::vector<Json> out;
        for (auto& f : frames) {
            out.push_back(Json::parse(f.text));
            if (f.written) f.written(true);
        }
        run_events();
        return out;
    }
    // A message from the server.
    Session::Step server(const Json& j) {
        auto r = session.on_text(j.dump(), now);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        run_events();
        return r ? *r : Session::Step::Continue;
    }
    void run_events() {
        for (auto& e : session.take_events()) e();
    }
    void connect(const std::string& session_id = "s-1") {
        session.on_open();
        auto hello = sent();
        ASSERT_EQ(hello.size(), 1u);
        ASSERT_EQ(hello[0]["type"], "hello");
        EXPECT_EQ(server({{"type", "welcome"},
                          {"session", session_id},
                          {"nick", "alice"},
                          {"ping_interval_ms", 30000},
                          {"max_message_size", 1 << 20}}),
                  Session::Step::Welcomed);
    }
    static Json joined(const std::string& room, std::uint64_t last_seq, bool recovered,
                       const std::string& epoch = "e1", const std::string& reason = "") {
        Json j{{"type", "joined"},
               {"room", room},
               {"epoch", epoch},
               {"last_seq", last_seq},
               {"recovered", recovered}};
        if (!reason.empty()) j["reason"] = reason;
        return j;
    }
    static Json msg(const std::string& room, std::uint64_t seq, int n) {
        return {{"type", "msg"},
                {"room", room},
                {"seq", seq},
                {"qos", 1},
                {"from", {{"nick", "bob"}, {"session", "s-b"}}},
                {"ts", 1},
                {"data", {{"n", n}}}};
    }
    RoomHandlers record() {
        RoomHandlers h;
        h.on_message = [this](const Message& m) { delivered.push_back(m.seq); };
        h.on_joined = [this](const Result<Joined>& j) { joins.push_back(j); };
        return h;
    }
    OutboxEntry qos1(const std::string& room, const std::string& id) {
        return OutboxEntry{room, id, wire::encode_pub(room, "{}", Qos::AtLeastOnce, id),
                           [this](const Result<Ack>& r) { acks.push_back(r); }};
    }

    Session session{"alice"};
    Clock::time_point now = Clock::time_point{} + 1h;
    std::vector<std::uint64_t> delivered;
    std::vector<Result<Joined>> joins;
    std::vector<Result<Ack>> acks;
};

TEST_F(SessionTest, HelloFirstThenJoinsOnlyAfterWelcome) {
    ASSERT_TRUE(session.join("lobby", record(), {}));
    session.on_open();
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0]["type"], "hello");
    EXPECT_FALSE(first[0].contains("session"));
    EXPECT_TRUE(sent().empty()) << "nothing but hello before the welcome";
    server({{"type", "welcome"}, {"session", "s-1"}});
    auto joins_sent = sent();
    ASSERT_EQ(joins_sent.size(), 1u);
    EXPECT_EQ(joins_sent[0]["type"], "join");
    EXPECT_EQ(joins_sent[0]["room"], "lobby");
    EXPECT_FALSE(joins_sent[0].contains("since"));
}

TEST_F(SessionTest, KeepsTheSessionSecretAndThePublicMemberIdApart) {
    session.on_open();
    sent();
    server({{"type", "welcome"},
            {"session", "s-abc"},
            {"member", {{"nick", "alice"}, {"session", "m-5e8116d8897d26a6"}, {"via", "ws"}}}});
    EXPECT_EQ(session.session_id(), "s-abc");
    EXPECT_EQ(session.member_session(), "m-5e8116d8897d26a6");
    session.on_closed();
    session.on_open();
    auto hello = sent();
    ASSERT_EQ(hello.size(), 1u);
    EXPECT_EQ(hello[0]["session"], "s-abc") << "the hello carries the secret, not the member id";
    // Every welcome says it again; one without (an older server) leaves no stale value.
    server({{"type", "welcome"}, {"session", "s-abc"}});
    EXPECT_EQ(session.member_session(), "");
}

TEST_F(SessionTest, PublishBeforeAnyConnectionIsSentOnceTheRoomIsJoined) {
    session.publish_qos1(qos1("r", "c-1"));  // implicit join: publishing needs membership
    connect();
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0]["type"], "join");
    server(joined("r", 0, false, "e1", "empty"));
    out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0]["type"], "pub");
    EXPECT_EQ(out[0]["id"], "c-1");
    server({{"type", "ack"}, {"room", "r"}, {"id", "c-1"}, {"seq", 1}, {"duplicate", false}});
    ASSERT_EQ(acks.size(), 1u);
    ASSERT_TRUE(acks[0]);
    EXPECT_EQ(acks[0]->seq, 1u);
    // Nobody asked for the room's messages: it is left once nothing waits for it.
    out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0]["type"], "leave");
}

TEST_F(SessionTest, ReconnectResumesWithTheSameSessionFromTheLastSeqSeen) {
    ASSERT_TRUE(session.join("lobby", record(), {}));
    connect("s-42");
    sent();
    server(joined("lobby", 10, false, "e1", "no_since"));
    server(msg("lobby", 11, 11));
    server(msg("lobby", 12, 12));
    session.on_closed();

    session.on_open();
    auto hello = sent();
    ASSERT_EQ(hello.size(), 1u);
    EXPECT_EQ(hello[0]["session"], "s-42");
    server({{"type", "welcome"}, {"session", "s-42"}});
    auto join = sent();
    ASSERT_EQ(join.size(), 1u);
    EXPECT_EQ(join[0]["since"], 12);
    EXPECT_EQ(join[0]["epoch"], "e1");
    server(joined("lobby", 14, true));
    server(msg("lobby", 12, 12));  // overlap at the seam: already seen
    server(msg("lobby", 13, 13));
    server(msg("lobby", 14, 14));
    EXPECT_EQ(delivered, (std::vector<std::uint64_t>{11, 12, 13, 14}));
}

TEST_F(SessionTest, UnackedMessagesAreResentWithTheSameIdsAfterReconnect) {
    ASSERT_TRUE(session.join("r", record(), {}));
    connect();
    sent();
    server(joined("r", 0, false, "e1", "empty"));
    session.publish_qos1(qos1("r", "c-1"));
    session.publish_qos1(qos1("r", "c-2"));
    EXPECT_EQ(sent().size(), 2u);
    server({{"type", "ack"}, {"room", "r"}, {"id", "c-1"}, {"seq", 1}, {"duplicate", false}});
    session.on_closed();  // c-2's ack is lost with the connection

    connect();
    sent();  // the re-join
    server(joined("r", 2, true));
    auto resent = sent();
    ASSERT_EQ(resent.size(), 1u);
    EXPECT_EQ(resent[0]["id"], "c-2");
    server({{"type", "ack"}, {"room", "r"}, {"id", "c-2"}, {"seq", 2}, {"duplicate", true}});
    ASSERT_EQ(acks.size(), 2u);
    EXPECT_TRUE(acks[1]->duplicate);
    EXPECT_EQ(session.outbox_size(), 0u);
}

TEST_F(SessionTest, SinceWithoutEpochLearnsTheEpochThenResumes) {
    ASSERT_TRUE(session.join("r", record(), {.since = 5}));
    connect();
    auto probe = sent();
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0]["since"], 5);
    server(joined("r", 9, false, "e7", "epoch_changed"));
    server(msg("r", 10, 10));  // live before the real join: replayed later, not now
    auto leave = sent();
    ASSERT_EQ(leave.size(), 1u);
    EXPECT_EQ(leave[0]["type"], "leave");
    server({{"type", "left"}, {"room", "r"}, {"ref", leave[0]["ref"]}});
    auto join = sent();
    ASSERT_EQ(join.size(), 1u);
    EXPECT_EQ(join[0]["since"], 5);
    EXPECT_EQ(join[0]["epoch"], "e7");
    server(joined("r", 10, true, "e7"));
    for (int s = 6; s <= 10; ++s) server(msg("r", s, s));
    EXPECT_EQ(delivered, (std::vector<std::uint64_t>{6, 7, 8, 9, 10}));
    ASSERT_EQ(joins.size(), 1u) << "the probe is not reported";
    EXPECT_TRUE(joins[0]->recovered);
}

TEST_F(SessionTest, AnEpochChangeRestartsNumberingAndIsReported) {
    ASSERT_TRUE(session.join("r", record(), {}));
    connect();
    sent();
    server(joined("r", 0, false, "e1", "empty"));
    server(msg("r", 1, 1));
    server(msg("r", 2, 2));
    session.on_closed();
    connect();
    sent();
    server(joined("r", 0, false, "e2", "epoch_changed"));  // the history was wiped
    server(msg("r", 1, 100));
    EXPECT_EQ(delivered, (std::vector<std::uint64_t>{1, 2, 1}));
    ASSERT_EQ(joins.size(), 2u);
    EXPECT_FALSE(joins[1]->recovered);
    EXPECT_EQ(joins[1]->reason, "epoch_changed");
}

TEST_F(SessionTest, FreshJoinWithHistoryStartsThatFarBack) {
    ASSERT_TRUE(session.join("r", record(), {.history = 2}));
    connect();
    auto join = sent();
    EXPECT_EQ(join.at(0)["history"], 2);
    server(joined("r", 10, false, "e1", "no_since"));
    for (int s = 9; s <= 11; ++s) server(msg("r", s, s));
    EXPECT_EQ(delivered, (std::vector<std::uint64_t>{9, 10, 11}));
}

TEST_F(SessionTest, Qos0ExpiresAsDroppedWhenNotWrittenInTime) {
    std::vector<Result<Ack>> q0;
    session.publish_qos0(
        DropEntry{"r", "q-1", "{}", [&](const Result<Ack>& r) { q0.push_back(r); }, now + 50ms});
    EXPECT_EQ(session.next_deadline(now), now + 50ms);
    session.expire(now + 49ms);
    run_events();
    EXPECT_TRUE(q0.empty());
    session.expire(now + 50ms);
    run_events();
    ASSERT_EQ(q0.size(), 1u);
    ASSERT_FALSE(q0[0]);
    EXPECT_EQ(q0[0].error().code, ErrorCode::Dropped);
}

TEST_F(SessionTest, Qos0WrittenInTimeCompletesWithoutSeq) {
    std::vector<Result<Ack>> q0;
    ASSERT_TRUE(session.join("r", record(), {}));
    connect();
    sent();
    server(joined("r", 0, false, "e1", "empty"));
    session.publish_qos0(DropEntry{"r", "q-1", wire::encode_pub("r", "1", Qos::AtMostOnce, "q-1"),
                                   [&](const Result<Ack>& r) { q0.push_back(r); }, now + 50ms});
    ASSERT_EQ(sent().size(), 1u);
    ASSERT_EQ(q0.size(), 1u);
    ASSERT_TRUE(q0[0]);
    EXPECT_EQ(q0[0]->qos, Qos::AtMostOnce);
    EXPECT_EQ(q0[0]->seq, 0u);
}

TEST_F(SessionTest, ServerRefusalFailsThePublicationAndTransientErrorsRetry) {
    ASSERT_TRUE(session.join("r", record(), {}));
    connect();
    sent();
    server(joined("r", 0, false, "e1", "empty"));
    session.publish_qos1(qos1("r", "c-1"));
    session.publish_qos1(qos1("r", "c-2"));
    sent();
    server({{"type", "error"}, {"code", "unavailable"}, {"message", "store busy"}, {"ref", "c-1"}});
    EXPECT_TRUE(sent().empty()) << "not before the retry delay";
    now += 500ms;
    auto again = sent();
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0]["id"], "c-1");
    server({{"type", "error"}, {"code", "too_large"}, {"message", "big"}, {"ref", "c-2"}});
    ASSERT_EQ(acks.size(), 1u);
    ASSERT_FALSE(acks[0]);
    EXPECT_EQ(acks[0].error().code, ErrorCode::Rejected);
    EXPECT_NE(acks[0].error().message.find("too_large"), std::string::npos);
}

TEST_F(SessionTest, LeaveStopsDeliveryAndLeavesOnTheWire) {
    ASSERT_TRUE(session.join("r", record(), {}));
    connect();
    sent();
    server(joined("r", 0, false, "e1", "empty"));
    server(msg("r", 1, 1));
    ASSERT_TRUE(session.leave("r"));
    auto leave = sent();
    ASSERT_EQ(leave.size(), 1u);
    EXPECT_EQ(leave[0]["type"], "leave");
    server(msg("r", 2, 2));
    server({{"type", "left"}, {"room", "r"}, {"ref", leave[0]["ref"]}});
    EXPECT_EQ(delivered, (std::vector<std::uint64_t>{1}));
    EXPECT_FALSE(session.leave("r"));
    session.on_closed();
    connect();
    EXPECT_TRUE(sent().empty()) << "a left room is not re-joined";
}

TEST_F(SessionTest, RefusedJoinIsReportedAndFailsItsPublications) {
    ASSERT_TRUE(session.join("r", record(), {}));
    session.publish_qos1(qos1("r", "c-1"));
    connect();
    auto join = sent();
    server(
        {{"type", "error"}, {"code", "invalid_room"}, {"message", "no"}, {"ref", join[0]["ref"]}});
    ASSERT_EQ(joins.size(), 1u);
    EXPECT_FALSE(joins[0]);
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].error().code, ErrorCode::Rejected);
}

TEST_F(SessionTest, MessagesBeforeWelcomeBreakTheProtocol) {
    session.on_open();
    sent();
    auto r = session.on_text(msg("r", 1, 1).dump(), now);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::ProtocolError);
}

TEST_F(SessionTest, CloseCompletesEverythingPendingWithClosed) {
    session.publish_qos1(qos1("r", "c-1"));
    session.close();
    run_events();
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].error().code, ErrorCode::Closed);
}

}  // namespace
}  // namespace confab::client
