#include "bench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace confab::bench {

void Histogram::merge(const Histogram& other) {
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
}

std::uint64_t Histogram::highest_equivalent(std::size_t index) {
    if (index < 2 * kSubBuckets) return index;  // exact region
    // index = e * kSubBuckets + m with m in [kSubBuckets, 2 * kSubBuckets).
    const std::size_t e = index / kSubBuckets - 1;
    const std::uint64_t m = index - e * kSubBuckets;
    // For the very last bucket (m + 1) << e wraps to 0, and 0 - 1 is UINT64_MAX: right.
    return ((m + 1) << e) - 1;
}

std::uint64_t Histogram::value_at_percentile(double percentile) const {
    if (total_ == 0) return 0;
    percentile = std::clamp(percentile, 0.0, 100.0);
    // Rank of the sample sought, 1-based; at least the first sample. The factor absorbs
    // binary rounding (99.9 / 100 * 1000 is 999.0000000000001, which must give rank 999).
    const double exact = percentile / 100.0 * static_cast<double>(total_);
    auto rank = static_cast<std::uint64_t>(std::ceil(exact * (1.0 - 1e-12)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::min(highest_equivalent(i), max_);
    }
    return max_;
}

}  // namespace confab::bench
