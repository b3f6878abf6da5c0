// Log-linear latency histogram (HdrHistogram-style): fixed buckets, no allocation per
// sample, mergeable. One instance per worker thread; merge after the threads are joined.
#pragma once

#include <array>
#include <cstdint>

namespace confab::bench {

// Values are unsigned integers (the bench records nanoseconds). Values below 2 * 128 are
// counted exactly; above, each power of two is split into 128 linear sub-buckets, so a
// reported value is within 1/128 (0.8 %) of the recorded one. The whole uint64 range fits.
class Histogram {
public:
    static constexpr int kSubBucketBits = 7;
    static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
    static constexpr std::size_t kBucketCount = (64 - kSubBucketBits) * kSubBuckets + kSubBuckets;

    void record(std::uint64_t value) {
        ++counts_[index_of(value)];
        ++total_;
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
        sum_ += value;
    }
    void merge(const Histogram& other);
    void reset() { *this = Histogram{}; }

    std::uint64_t count() const { return total_; }
    std::uint64_t min() const { return total_ == 0 ? 0 : min_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / total_; }

    // The smallest recorded value v (to bucket precision) such that at least `percentile`
    // percent of the samples are <= v; the highest value of that bucket, capped at max().
    // 0 when empty. percentile is clamped to [0, 100]; 100 returns max().
    std::uint64_t value_at_percentile(double percentile) const;

    // Bucket arithmetic, public for tests.
    static std::size_t index_of(std::uint64_t value) {
        // Exponent e: how far `value` must shift right to fit in [0, 2 * kSubBuckets).
        const int msb = 63 - __builtin_clzll(value | 1);
        const int e = msb > kSubBucketBits ? msb - kSubBucketBits : 0;
        return static_cast<std::size_t>(e) * kSubBuckets + (value >> e);
    }
    static std::uint64_t highest_equivalent(std::size_t index);

private:
    std::array<std::uint64_t, kBucketCount> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;  // wraps only after ~584 years of nanoseconds
};

}  // namespace confab::bench
