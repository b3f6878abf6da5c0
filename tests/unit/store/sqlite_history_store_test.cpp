#include "store/sqlite_history_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

namespace confab::store::testing {
namespace {

using SqliteHistoryStoreTest = StoreFixture;

TEST_F(SqliteHistoryStoreTest, SeqsIncreasePerRoomWithoutGapsAcrossBatchesAndRooms) {
    config.batch_max_appends = 7;  // many group commits
    open();
    const std::vector<std::string> rooms = {"a", "b", "c"};
    std::vector<AppendRequest> requests;
    for (std::uint64_t i = 0; i < 600; ++i) {
        requests.push_back(message(rooms[(i * 7 + i / 5) % 3], i));  // uneven interleaving
    }
    auto results = append_all(std::move(requests));
    ASSERT_EQ(results.size(), 600u);
    std::map<std::string, std::uint64_t> last;
    for (const auto& r : results) {
        ASSERT_FALSE(r.error) << r.error->message;
        EXPECT_EQ(r.seq, last[r.room] + 1) << r.room << " token " << r.token;
        last[r.room] = r.seq;
    }
    EXPECT_EQ(last.size(), 3u);
    EXPECT_GE(store->stats().batches, 600u / 7);
    EXPECT_EQ(store->stats().appends, 600u);
}

TEST_F(SqliteHistoryStoreTest, CompletionsArriveInSubmissionOrderWithReadsSeeingEarlierAppends) {
    open();
    std::map<std::string, std::uint64_t> appended;
    std::map<std::uint64_t, std::uint64_t> expected_last_seq;  // read token → last_seq
    for (std::uint64_t token = 0; token < 300; ++token) {
        std::string room = token % 2 ? "odd" : "even";
        if (token % 5 == 0) {
            expected_last_seq[token] = appended[room];
            ASSERT_TRUE(store->submit(read_after(room, 0, token, 1)));
        } else {
            ++appended[room];
            ASSERT_TRUE(store->submit(message(room, token)));
        }
    }
    ASSERT_TRUE(sink.wait_for(300));
    auto all = sink.completions();
    for (std::uint64_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(all[i].token(), i);
        if (all[i].is_read) {
            EXPECT_EQ(all[i].read.last_seq, expected_last_seq[i]) << i;
        }
    }
}

TEST_F(SqliteHistoryStoreTest, ReadAfterSeqReturnsExactlyTheLaterMessagesInOrder) {
    open();
    fill("lobby", 20);
    fill("other", 5);
    auto r = read(read_after("lobby", 12, 99));
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.token, 99u);
    EXPECT_EQ(seqs(r), range(13, 20));
    for (const auto& m : r.messages) {
        EXPECT_EQ(m.payload, "m" + std::to_string(m.seq));
        EXPECT_EQ(m.session_id, "s1");
        EXPECT_EQ(m.ts_ms, 1'000);
    }
    EXPECT_EQ(r.first_seq, 1u);
    EXPECT_EQ(r.last_seq, 20u);
    EXPECT_TRUE(r.epoch_matches);
    EXPECT_TRUE(r.complete);
    EXPECT_FALSE(r.truncated);
    EXPECT_TRUE(read(read_after("lobby", 20, 1)).messages.empty());
}

TEST_F(SqliteHistoryStoreTest, ReadLimitCutsTheRangeAndSaysSo) {
    config.max_read_messages = 8;
    open();
    fill("r", 20);
    auto first = read(read_after("r", 0, 1, 5));
    EXPECT_EQ(seqs(first), range(1, 5));
    EXPECT_TRUE(first.truncated);
    auto exact = read(read_after("r", 15, 2, 5));
    EXPECT_EQ(seqs(exact), range(16, 20));
    EXPECT_FALSE(exact.truncated);
    auto clamped = read(read_after("r", 0, 3, 1000));  // above max_read_messages
    EXPECT_EQ(seqs(clamped), range(1, 8));
    EXPECT_TRUE(clamped.truncated);
    auto defaulted = read(read_after("r", 10, 4, 0));  // 0: max_read_messages
    EXPECT_EQ(seqs(defaulted), range(11, 18));
}

TEST_F(SqliteHistoryStoreTest, LastNReturnsTheNewestMessagesOldestFirst) {
    open();
    fill("r", 20);
    ReadRequest latest = read_after("r", 0, 1);
    latest.last_n = 3;
    auto r = read(latest);
    EXPECT_EQ(seqs(r), range(18, 20));
    EXPECT_TRUE(r.truncated);
    EXPECT_TRUE(r.complete);

    latest.last_n = 50;
    r = read(latest);
    EXPECT_EQ(seqs(r), range(1, 20));
    EXPECT_FALSE(r.truncated);

    latest.last_n = 3;
    latest.after_seq = 18;
    r = read(latest);
    EXPECT_EQ(seqs(r), range(19, 20));
    EXPECT_FALSE(r.truncated);
}

TEST_F(SqliteHistoryStoreTest, DuplicateInALaterBatchReturnsTheOriginalSeqAndStoresNothing) {
    open();
    auto original = append(message("r", 1, "hello", "s1", "c1", 5'000));
    fill("r", 3, 10);
    auto again = append(message("r", 2, "hello", "s1", "c1", 9'000));
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.seq, original.seq);
    EXPECT_EQ(again.ts_ms, 5'000);  // the original's
    EXPECT_EQ(again.epoch, original.epoch);
    EXPECT_EQ(again.token, 2u);

    // Same id from another session, or no id at all: new messages.
    EXPECT_FALSE(append(message("r", 3, "x", "s2", "c1")).duplicate);
    auto a = append(message("r", 4, "x", "s1", ""));
    auto b = append(message("r", 5, "x", "s1", ""));
    EXPECT_FALSE(b.duplicate);
    EXPECT_EQ(b.seq, a.seq + 1);

    auto all = read(read_after("r", 0, 6));
    EXPECT_EQ(seqs(all), range(1, 7));  // no seq was spent on the duplicate
    EXPECT_EQ(store->stats().duplicates, 1u);
    EXPECT_EQ(store->stats().appends, 7u);
}

TEST_F(SqliteHistoryStoreTest, DuplicateInTheSameBatchReturnsTheOriginalSeq) {
    open();
    // Hold the store thread in the sink so the next requests queue up into one group commit.
    sink.hold_next();
    ASSERT_TRUE(store->submit(read_after("r", 0, 0)));
    ASSERT_TRUE(sink.wait_until_held());
    ASSERT_TRUE(store->submit(message("r", 1, "p", "s1", "c1")));
    ASSERT_TRUE(store->submit(message("r", 2, "q", "s1", "c2")));
    ASSERT_TRUE(store->submit(message("r", 3, "p", "s1", "c1")));
    sink.release();
    ASSERT_TRUE(sink.wait_for(4));
    EXPECT_EQ(sink.batch_sizes(), std::vector<std::size_t>{3});
    auto all = sink.completions();
    EXPECT_EQ(all[1].append.seq, 1u);
    EXPECT_EQ(all[2].append.seq, 2u);
    EXPECT_TRUE(all[3].append.duplicate);
    EXPECT_EQ(all[3].append.seq, 1u);
    EXPECT_EQ(seqs(read(read_after("r", 0, 4))), range(1, 2));
}

TEST_F(SqliteHistoryStoreTest, EpochIsStableAcrossReopenAndNewAfterTheFileIsWiped) {
    open();
    auto first = append(message("r", 1));
    ASSERT_EQ(first.epoch.size(), 16u);
    EXPECT_EQ(first.epoch.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(append(message("other", 2)).epoch, first.epoch);  // one epoch per room

    reopen();
    auto after_reopen = append(message("r", 3));
    EXPECT_EQ(after_reopen.epoch, first.epoch);
    EXPECT_EQ(after_reopen.seq, 2u);

    close();
    std::filesystem::remove_all(dir.path());
    open();
    auto after_wipe = append(message("r", 4));
    EXPECT_NE(after_wipe.epoch, first.epoch);
    EXPECT_EQ(after_wipe.seq, 1u);
}

TEST_F(SqliteHistoryStoreTest, ReadWithAStaleEpochSaysSoAndOffersOnlyTheLatest) {
    open();
    fill("r", 10);
    const std::string epoch = read(read_after("r", 0, 0)).epoch;

    ReadRequest stale = read_after("r", 4, 1);
    stale.epoch = "0123456789abcdef";
    auto none = read(stale);
    EXPECT_FALSE(none.epoch_matches);
    EXPECT_FALSE(none.complete);
    EXPECT_TRUE(none.messages.empty());
    EXPECT_EQ(none.epoch, epoch);

    stale.last_n = 3;
    auto latest = read(stale);
    EXPECT_FALSE(latest.epoch_matches);
    EXPECT_EQ(seqs(latest), range(8, 10));

    ReadRequest current = read_after("r", 4, 2);
    current.epoch = epoch;
    auto resumed = read(current);
    EXPECT_TRUE(resumed.epoch_matches);
    EXPECT_EQ(seqs(resumed), range(5, 10));

    current.epoch = "";  // a client that never saw an epoch: nothing to compare
    EXPECT_TRUE(read(current).epoch_matches);

    ReadRequest unknown_room = read_after("nobody", 3, 3);
    unknown_room.epoch = epoch;
    auto unknown = read(unknown_room);
    EXPECT_FALSE(unknown.epoch_matches);
    EXPECT_FALSE(unknown.epoch.empty());  // a first read gives the room its own epoch
    EXPECT_NE(unknown.epoch, epoch);
    EXPECT_EQ(unknown.last_seq, 0u);
}

TEST_F(SqliteHistoryStoreTest, AnEmptyRoomsEpochIsKeptByItsFirstMessagesAndAReopen) {
    open();
    ReadRequest first = read_after("fresh", 0, 10);
    auto empty = read(first);
    ASSERT_FALSE(empty.epoch.empty());
    EXPECT_EQ(empty.last_seq, 0u);
    std::vector<AppendRequest> batch;
    for (std::uint64_t i = 0; i < 3; ++i) batch.push_back(message("fresh", 100 + i));
    auto results = append_all(std::move(batch));
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0].epoch, empty.epoch);
    reopen();
    ReadRequest resume = read_after("fresh", 0, 11);
    resume.epoch = empty.epoch;
    auto resumed = read(resume);
    EXPECT_TRUE(resumed.epoch_matches);
    EXPECT_TRUE(resumed.complete);
    EXPECT_EQ(seqs(resumed), range(1, 3));
}

TEST_F(SqliteHistoryStoreTest, ReopenAfterStopKeepsEveryMessage) {
    open();
    for (int room = 0; room < 5; ++room) {
        std::vector<AppendRequest> batch;
        for (int i = 0; i < 100; ++i) {
            batch.push_back(message("room" + std::to_string(room), i,
                                    R"({"text":")" + std::to_string(room * 1000 + i) + "\"}",
                                    "sess" + std::to_string(i % 3), "id" + std::to_string(i),
                                    10'000 + i));
        }
        append_all(std::move(batch));
    }
    reopen();
    for (int room = 0; room < 5; ++room) {
        auto r = read(read_after("room" + std::to_string(room), 0, 0));
        ASSERT_EQ(r.messages.size(), 100u);
        for (int i = 0; i < 100; ++i) {
            const auto& m = r.messages[i];
            EXPECT_EQ(m.seq, static_cast<std::uint64_t>(i + 1));
            EXPECT_EQ(m.payload, R"({"text":")" + std::to_string(room * 1000 + i) + "\"}");
            EXPECT_EQ(m.session_id, "sess" + std::to_string(i % 3));
            EXPECT_EQ(m.client_msg_id, "id" + std::to_string(i));
            EXPECT_EQ(m.ts_ms, 10'000 + i);
        }
    }
    // Dedup survives the restart too.
    EXPECT_TRUE(append(message("room0", 1, "x", "sess1", "id1")).duplicate);
}

TEST_F(SqliteHistoryStoreTest, FullQueueRefusesWithBackpressureUntilItDrains) {
    config.queue_limit = 4;
    open();
    sink.hold_next();
    ASSERT_TRUE(store->submit(read_after("r", 0, 0)));  // taken, held in the sink: still counted
    ASSERT_TRUE(sink.wait_until_held());
    for (std::uint64_t t = 1; t <= 3; ++t) ASSERT_TRUE(store->submit(message("r", t)));
    auto refused = store->submit(message("r", 4));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::Backpressure);
    auto refused_read = store->submit(read_after("r", 0, 5));
    ASSERT_FALSE(refused_read);
    EXPECT_EQ(refused_read.error().code, Errc::Backpressure);
    EXPECT_EQ(store->stats().queue_depth, 4u);

    sink.release();
    ASSERT_TRUE(sink.wait_for(4));
    EXPECT_TRUE(store->submit(message("r", 6)));
    ASSERT_TRUE(sink.wait_for(5));
    EXPECT_EQ(sink.completions()[4].append.seq, 4u);  // refused requests took no seq
}

TEST_F(SqliteHistoryStoreTest, StopCompletesQueuedRequestsThenRefusesWithUnavailable) {
    open();
    for (std::uint64_t t = 0; t < 100; ++t) ASSERT_TRUE(store->submit(message("r", t)));
    ASSERT_TRUE(store->submit(read_after("r", 0, 100)));
    store->stop();
    // No wait: stop() returns after every accepted request was reported.
    auto all = sink.completions();
    ASSERT_EQ(all.size(), 101u);
    EXPECT_EQ(all[99].append.seq, 100u);
    EXPECT_EQ(all[100].read.messages.size(), 100u);

    auto late = store->submit(message("r", 101));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Errc::Unavailable);
    EXPECT_EQ(store->submit(read_after("r", 0, 102)).error().code, Errc::Unavailable);
    store->stop();  // idempotent
}

TEST_F(SqliteHistoryStoreTest, InvalidRequestFailsAloneAndTheBatchCommits) {
    open();
    sink.hold_next();
    ASSERT_TRUE(store->submit(read_after("r", 0, 0)));
    ASSERT_TRUE(sink.wait_until_held());
    ASSERT_TRUE(store->submit(message("r", 1)));
    ASSERT_TRUE(store->submit(message("", 2)));
    ASSERT_TRUE(store->submit(message("r", 3)));
    sink.release();
    ASSERT_TRUE(sink.wait_for(4));
    auto all = sink.completions();
    EXPECT_EQ(all[1].append.seq, 1u);
    ASSERT_TRUE(all[2].append.error);
    EXPECT_EQ(all[2].append.error->code, Errc::BadRequest);
    EXPECT_EQ(all[3].append.seq, 2u);
    EXPECT_EQ(store->stats().failed_appends, 1u);
    EXPECT_EQ(read(read_after("", 0, 4)).error->code, Errc::BadRequest);
}

TEST_F(SqliteHistoryStoreTest, AppendResultCarriesTheRequestBack) {
    open();
    auto r = append(message("room", 42, R"({"t":"hi"})", "sess", "cid", 123));
    EXPECT_EQ(r.token, 42u);
    EXPECT_EQ(r.room, "room");
    EXPECT_EQ(r.payload, R"({"t":"hi"})");
    EXPECT_EQ(r.session_id, "sess");
    EXPECT_EQ(r.client_msg_id, "cid");
    EXPECT_EQ(r.ts_ms, 123);
    EXPECT_FALSE(r.duplicate);
    EXPECT_FALSE(r.error);
}

TEST_F(SqliteHistoryStoreTest, StatsCountAppendsDuplicatesBatchesAndReads) {
    open();
    sink.hold_next();
    ASSERT_TRUE(store->submit(read_after("r", 0, 0)));
    ASSERT_TRUE(sink.wait_until_held());
    for (std::uint64_t t = 1; t <= 4; ++t) {
        std::string id = t == 4 ? "c1" : "c" + std::to_string(t);  // the 4th repeats the 1st
        ASSERT_TRUE(store->submit(message("r", t, "p", "s", id)));
    }
    sink.release();
    ASSERT_TRUE(sink.wait_for(5));
    store->stop();  // the depth drops just after each sink call; stop() orders it before us
    auto s = store->stats();
    EXPECT_EQ(s.appends, 3u);
    EXPECT_EQ(s.duplicates, 1u);
    EXPECT_EQ(s.batches, 1u);
    EXPECT_DOUBLE_EQ(s.average_batch_size, 4.0);
    EXPECT_EQ(s.reads, 1u);
    EXPECT_EQ(s.queue_depth, 0u);
}

TEST_F(SqliteHistoryStoreTest, IdleStoreHandsItsPageCacheBackAndStillReadsEverything) {
    config.release_cache_after = std::chrono::milliseconds(100);
    open();
    std::vector<AppendRequest> batch;
    const std::string payload = "\"" + std::string(400, 'x') + "\"";
    for (std::uint64_t i = 0; i < 2000; ++i) batch.push_back(message("r", i, payload));
    append_all(std::move(batch));  // about 1 MB of pages touched
    const auto busy = store->stats();
    ASSERT_GT(busy.cache_bytes, 500'000u);
    // Bounded wait for the store thread's idle deadline (not a timing assertion).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store->stats().cache_releases == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto idle = store->stats();
    ASSERT_EQ(idle.cache_releases, 1u);
    EXPECT_LT(idle.cache_bytes, busy.cache_bytes / 4);
    // Read back from the file (one read returns at most max_read_messages).
    auto r = read(read_after("r", 1000, 2000));
    EXPECT_EQ(seqs(r), range(1001, 2000));
    EXPECT_EQ(r.messages.back().payload, payload);
}

}  // namespace
}  // namespace confab::store::testing
