// Audience: who is connected, as far as message encoding cares. A message is built once in
// every form someone can use; a form nobody online can use (plain-room frames, confab.v1
// envelopes, telnet lines, compressed frames) is not built at all. Counters are
// process-wide, any thread, and read relaxed: a member who arrives while a message is being
// built may miss that one message in its form, so a form a guarantee depends on (the v1
// envelope of a QoS 1 message) is built whatever they say.
#pragma once

#include <atomic>

namespace confab::session {

struct Audience {
    std::atomic<int> plain_online{0};    // plain-room (/ws/rooms) members
    std::atomic<int> v1_online{0};       // confab.v1 (/ws) sessions
    std::atomic<int> telnet_online{0};   // telnet users
    std::atomic<int> deflate_online{0};  // room/v1 members that negotiated permessage-deflate
};

// Counts one member in a counter for as long as it lives.
class AudienceSeat {
public:
    AudienceSeat(std::atomic<int>& counter, bool counted) : counter_(counted ? &counter : nullptr) {
        if (counter_) counter_->fetch_add(1, std::memory_order_relaxed);
    }
    ~AudienceSeat() {
        if (counter_) counter_->fetch_sub(1, std::memory_order_relaxed);
    }
    AudienceSeat(const AudienceSeat&) = delete;
    AudienceSeat& operator=(const AudienceSeat&) = delete;

private:
    std::atomic<int>* counter_;
};

}  // namespace confab::session
