// Retention: trimming by count and by age, in the background on the store thread.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "store_fixture.hpp"

namespace confab::store::testing {
namespace {

class SqliteRetentionTest : public StoreFixture {
protected:
    SqliteRetentionTest() {
        config.trim_interval = std::chrono::milliseconds(1);  // passes run back to back
        config.now_ms = [this] { return now_ms.load(); };
    }
    ~SqliteRetentionTest() override { close(); }  // the store thread reads now_ms
    std::atomic<std::int64_t> now_ms{1'000'000};
};

TEST_F(SqliteRetentionTest, CountLimitKeepsTheNewestAndNeverReusesSeqs) {
    config.max_messages_per_room = 5;
    open();
    fill("r", 12);
    ASSERT_TRUE(sink.wait_for_trimmed(7));
    auto r = read(read_after("r", 0, 0));
    EXPECT_EQ(seqs(r), range(8, 12));
    EXPECT_EQ(r.first_seq, 8u);
    EXPECT_EQ(r.last_seq, 12u);
    EXPECT_FALSE(r.complete);  // 1..7 are gone
    EXPECT_TRUE(read(read_after("r", 7, 0)).complete);
    EXPECT_EQ(append(message("r", 13)).seq, 13u);

    reopen();  // last_seq comes from the rooms table, not from the surviving messages
    EXPECT_EQ(append(message("r", 14)).seq, 14u);
}

TEST_F(SqliteRetentionTest, AgeLimitRemovesTheOldPrefixOnly) {
    config.max_age = std::chrono::milliseconds(10'000);
    open();
    const std::int64_t old_ts = now_ms - 20'000, young_ts = now_ms - 1'000;
    // seq:       1       2       3         4       5
    const std::int64_t ts[] = {old_ts, old_ts, young_ts, old_ts, young_ts};
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(message("r", i, "m", "s", "", ts[i]));
    append_all(std::move(batch));
    ASSERT_TRUE(sink.wait_for_trimmed(2));
    // Seq 4 is old but follows a young one: it stays, so the retained range has no hole.
    auto r = read(read_after("r", 0, 0));
    EXPECT_EQ(seqs(r), range(3, 5));
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(sink.trimmed(), 2u);
}

TEST_F(SqliteRetentionTest, WhenEverythingAgedOutTheRoomKeepsItsLastSeqAndEpoch) {
    config.max_age = std::chrono::milliseconds(10'000);
    open();
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 4; ++i) batch.push_back(message("r", i, "m", "s", "", now_ms - 1'000));
    const std::string epoch = append_all(std::move(batch)).front().epoch;
    now_ms += 60'000;  // all four are now too old
    ASSERT_TRUE(sink.wait_for_trimmed(4));
    auto r = read(read_after("r", 2, 0));
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.first_seq, 0u);
    EXPECT_EQ(r.last_seq, 4u);
    EXPECT_EQ(r.epoch, epoch);
    EXPECT_FALSE(r.complete);                           // 3 and 4 were trimmed
    EXPECT_TRUE(read(read_after("r", 4, 0)).complete);  // caught up: nothing missed
    auto next = append(message("r", 9, "m", "s", "", now_ms));
    EXPECT_EQ(next.seq, 5u);
    EXPECT_EQ(next.epoch, epoch);
}

TEST_F(SqliteRetentionTest, TrimsInSmallStepsAcrossManyRooms) {
    config.max_messages_per_room = 2;
    config.trim_step_messages = 3;  // each room needs several steps
    open();
    for (int room = 0; room < 10; ++room) fill("room" + std::to_string(room), 10);
    ASSERT_TRUE(sink.wait_for_trimmed(80));
    for (int room = 0; room < 10; ++room) {
        auto r = read(read_after("room" + std::to_string(room), 0, 0));
        EXPECT_EQ(seqs(r), range(9, 10)) << room;
    }
    EXPECT_EQ(store->stats().trimmed, 80u);
}

TEST_F(SqliteRetentionTest, DedupLastsAsLongAsTheMessageIsRetained) {
    config.max_messages_per_room = 1;
    open();
    auto first = append(message("r", 1, "m", "s", "c1"));
    EXPECT_TRUE(append(message("r", 2, "m", "s", "c1")).duplicate);
    append(message("r", 3, "m", "s", "c2"));
    ASSERT_TRUE(sink.wait_for_trimmed(1));  // c1 is gone
    auto again = append(message("r", 4, "m", "s", "c1"));
    EXPECT_FALSE(again.duplicate);
    EXPECT_EQ(again.seq, 3u);
}

}  // namespace
}  // namespace confab::store::testing
