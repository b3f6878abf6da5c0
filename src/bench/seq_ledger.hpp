// One receiver's account of a room's QoS 1 messages: which seqs it has seen, and how that
// differs from "every acked message exactly once, in order". Pure; one per client, used by
// its worker thread only.
#pragma once

#include <cstdint>

namespace confab::bench {

class SeqLedger {
public:
    enum class Seen { InOrder, Duplicate, AfterGap };

    // Records one delivered seq (1, 2, 3, ...). A seq at or below the last one seen is a
    // duplicate (counted, otherwise ignored); one past a hole counts the hole as skipped
    // and moves on, so a later arrival of a skipped seq is also counted (out of order).
    Seen observe(std::uint64_t seq);

    // Highest seq seen in order so far (0: none); a resume asks for `since` = this.
    std::uint64_t last() const { return last_; }
    // True when every seq up to `seq` has been seen (or skipped: see skipped()).
    bool reached(std::uint64_t seq) const { return last_ >= seq; }

    std::uint64_t delivered() const { return delivered_; }    // distinct seqs, in order
    std::uint64_t duplicates() const { return duplicates_; }  // repeats and late arrivals
    std::uint64_t skipped() const { return skipped_; }        // holes jumped over
    // Acked messages this receiver never got: the holes, plus the tail up to `last_acked`.
    std::uint64_t missing(std::uint64_t last_acked) const;
    // True when seqs 1..last_acked arrived exactly once each, in order, and nothing else.
    bool exact(std::uint64_t last_acked) const;

private:
    std::uint64_t last_ = 0;
    std::uint64_t delivered_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t skipped_ = 0;
};

}  // namespace confab::bench
