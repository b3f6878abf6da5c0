#include "bench/seq_ledger.hpp"

#include <gtest/gtest.h>

namespace confab::bench {
namespace {

TEST(BenchSeqLedger, InOrderDeliveryIsExact) {
    SeqLedger l;
    for (std::uint64_t seq = 1; seq <= 5; ++seq)
        EXPECT_EQ(l.observe(seq), SeqLedger::Seen::InOrder);
    EXPECT_EQ(l.last(), 5u);
    EXPECT_EQ(l.delivered(), 5u);
    EXPECT_TRUE(l.exact(5));
    EXPECT_EQ(l.missing(5), 0u);
}

TEST(BenchSeqLedger, RepeatIsCountedAsDuplicateAndIgnored) {
    SeqLedger l;
    l.observe(1);
    l.observe(2);
    EXPECT_EQ(l.observe(2), SeqLedger::Seen::Duplicate);
    EXPECT_EQ(l.observe(1), SeqLedger::Seen::Duplicate);
    EXPECT_EQ(l.last(), 2u);
    EXPECT_EQ(l.duplicates(), 2u);
    EXPECT_EQ(l.delivered(), 2u);
    EXPECT_FALSE(l.exact(2));
}

TEST(BenchSeqLedger, HoleIsSkippedAndCountedAsMissing) {
    SeqLedger l;
    l.observe(1);
    EXPECT_EQ(l.observe(4), SeqLedger::Seen::AfterGap);
    EXPECT_EQ(l.skipped(), 2u);
    EXPECT_EQ(l.missing(4), 2u);
    EXPECT_TRUE(l.reached(4));
    EXPECT_FALSE(l.exact(4));
}

TEST(BenchSeqLedger, LateArrivalOfSkippedSeqIsOutOfOrder) {
    SeqLedger l;
    l.observe(1);
    l.observe(3);
    EXPECT_EQ(l.observe(2), SeqLedger::Seen::Duplicate);
    EXPECT_EQ(l.duplicates(), 1u);
    EXPECT_EQ(l.missing(3), 1u);
}

TEST(BenchSeqLedger, MissingTailCountsUpToLastAcked) {
    SeqLedger l;
    l.observe(1);
    l.observe(2);
    EXPECT_FALSE(l.reached(5));
    EXPECT_EQ(l.missing(5), 3u);
    EXPECT_FALSE(l.exact(5));
}

TEST(BenchSeqLedger, SeqBeyondLastAckedIsNotExact) {
    SeqLedger l;
    l.observe(1);
    l.observe(2);
    EXPECT_FALSE(l.exact(1));
    EXPECT_EQ(l.missing(1), 0u);
}

TEST(BenchSeqLedger, NothingSeenAndNothingAckedIsExact) {
    SeqLedger l;
    EXPECT_TRUE(l.exact(0));
    EXPECT_TRUE(l.reached(0));
    EXPECT_EQ(l.last(), 0u);
}

}  // namespace
}  // namespace confab::bench
