#include "bench/seq_ledger.hpp"

namespace confab::bench {

SeqLedger::Seen SeqLedger::observe(std::uint64_t seq) {
    if (seq <= last_) {
        ++duplicates_;
        return Seen::Duplicate;
    }
    const Seen seen = seq == last_ + 1 ? Seen::InOrder : Seen::AfterGap;
    skipped_ += seq - last_ - 1;
    last_ = seq;
    ++delivered_;
    return seen;
}

std::uint64_t SeqLedger::missing(std::uint64_t last_acked) const {
    return skipped_ + (last_acked > last_ ? last_acked - last_ : 0);
}

bool SeqLedger::exact(std::uint64_t last_acked) const {
    return duplicates_ == 0 && skipped_ == 0 && last_ == last_acked;
}

}  // namespace confab::bench
