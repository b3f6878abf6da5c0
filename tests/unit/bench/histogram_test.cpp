#include "bench/histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace confab::bench {
namespace {

// Histogram is ~60 KiB: keep it off the test's stack.
std::unique_ptr<Histogram> make() {
    return std::make_unique<Histogram>();
}

TEST(BenchHistogram, EmptyReportsZero) {
    auto h = make();
    EXPECT_EQ(h->count(), 0u);
    EXPECT_EQ(h->value_at_percentile(50), 0u);
    EXPECT_EQ(h->min(), 0u);
    EXPECT_EQ(h->max(), 0u);
}

TEST(BenchHistogram, SmallValuesAreExact) {
    auto h = make();
    for (std::uint64_t v = 1; v <= 100; ++v) h->record(v);
    EXPECT_EQ(h->value_at_percentile(50), 50u);
    EXPECT_EQ(h->value_at_percentile(90), 90u);
    EXPECT_EQ(h->value_at_percentile(99), 99u);
    EXPECT_EQ(h->value_at_percentile(100), 100u);
    EXPECT_EQ(h->value_at_percentile(0), 1u);
    EXPECT_EQ(h->min(), 1u);
    EXPECT_DOUBLE_EQ(h->mean(), 50.5);
}

TEST(BenchHistogram, PercentilesOfUniformMicrosecondsWithinOnePercent) {
    auto h = make();
    // 1..1,000,000 µs in ns: p-th percentile is p% of 1e9 ns.
    for (std::uint64_t us = 1; us <= 1'000'000; ++us) h->record(us * 1000);
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        const double expected = p / 100.0 * 1e9;
        const double got = static_cast<double>(h->value_at_percentile(p));
        EXPECT_GE(got, expected) << "p" << p;  // never under-reports
        EXPECT_LE(got, expected * 1.01) << "p" << p;
    }
    EXPECT_EQ(h->value_at_percentile(100), 1'000'000'000u);
    EXPECT_EQ(h->max(), 1'000'000'000u);
}

TEST(BenchHistogram, TailSampleShowsInHighPercentilesOnly) {
    auto h = make();
    for (int i = 0; i < 999; ++i) h->record(1'000'000);  // 1 ms
    h->record(500'000'000);                              // one 500 ms outlier
    EXPECT_LE(h->value_at_percentile(99.9), 1'010'000u);
    EXPECT_EQ(h->value_at_percentile(99.95), 500'000'000u);
}

TEST(BenchHistogram, MergeEqualsRecordingEverythingInOne) {
    auto a = make();
    auto b = make();
    auto all = make();
    for (std::uint64_t v = 0; v < 20'000; ++v) {
        const std::uint64_t x = v * v * 7 + 3;
        (v % 2 ? *a : *b).record(x);
        all->record(x);
    }
    a->merge(*b);
    EXPECT_EQ(a->count(), all->count());
    EXPECT_EQ(a->min(), all->min());
    EXPECT_EQ(a->max(), all->max());
    for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
        EXPECT_EQ(a->value_at_percentile(p), all->value_at_percentile(p)) << "p" << p;
    }
}

TEST(BenchHistogram, BucketsCoverWholeRangeMonotonically) {
    EXPECT_EQ(Histogram::index_of(0), 0u);
    EXPECT_EQ(Histogram::index_of(255), 255u);
    EXPECT_EQ(Histogram::index_of(UINT64_MAX), Histogram::kBucketCount - 1);
    EXPECT_EQ(Histogram::highest_equivalent(Histogram::kBucketCount - 1), UINT64_MAX);
    std::size_t prev = 0;
    for (int shift = 0; shift < 64; ++shift) {
        for (std::uint64_t k : {1ull, 3ull, 5ull}) {
            const std::uint64_t v = k << shift;
            if ((v >> shift) != k) continue;  // shifted out
            const std::size_t i = Histogram::index_of(v);
            ASSERT_LT(i, Histogram::kBucketCount);
            EXPECT_GE(Histogram::highest_equivalent(i), v);
            EXPECT_LE(static_cast<double>(Histogram::highest_equivalent(i) - v),
                      static_cast<double>(v) / 128.0 + 1.0);
            if (k == 1) {
                EXPECT_GE(i, prev);
                prev = i;
            }
        }
    }
}

}  // namespace
}  // namespace confab::bench
