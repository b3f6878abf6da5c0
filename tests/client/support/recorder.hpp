// Records what a confab::Client reports (states, joins, messages, presence) for a test, and
// waits for conditions on it with a deadline. Callbacks come from the client's thread; the
// test reads from its own. Any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <confab/client.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace confab::testing {

class Recorder {
public:
    using Clock = std::chrono::steady_clock;

    struct StateAt {
        StateChange change;
        Clock::time_point at;
    };

    std::function<void(const StateChange&)> on_state() {
        return [this](const StateChange& s) { add([&] { states_.push_back({s, Clock::now()}); }); };
    }

    RoomHandlers handlers() {
        RoomHandlers h;
        h.on_message = [this](const Message& m) { add([&] { messages_.push_back(m); }); };
        h.on_joined = [this](const Result<Joined>& j) { add([&] { joins_.push_back(j); }); };
        h.on_presence = [this](const Presence& p) { add([&] { presence_.push_back(p); }); };
        return h;
    }

    // Waits until `pred` (called under the lock with this recorder) holds; false on timeout.
    bool wait(std::chrono::milliseconds timeout, const std::function<bool(const Recorder&)>& pred) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return pred(*this); });
    }

    bool wait_messages(std::size_t n, std::chrono::milliseconds timeout) {
        return wait(timeout, [n](const Recorder& r) { return r.messages_.size() >= n; });
    }

    // The first state change `state` recorded at or after index `from`, if any.
    bool wait_state(ConnectionState state, std::chrono::milliseconds timeout,
                    std::size_t from = 0) {
        return wait(timeout, [&](const Recorder& r) { return r.find_state(state, from) >= 0; });
    }

    long find_state(ConnectionState state, std::size_t from = 0) const {
        for (std::size_t i = from; i < states_.size(); ++i) {
            if (states_[i].change.state == state) return static_cast<long>(i);
        }
        return -1;
    }

    std::vector<Message> messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    std::vector<StateAt> states() const {
        std::lock_guard lock(mutex_);
        return states_;
    }
    std::vector<Result<Joined>> joins() const {
        std::lock_guard lock(mutex_);
        return joins_;
    }
    std::size_t state_count() const {
        std::lock_guard lock(mutex_);
        return states_.size();
    }

    // Unlocked views for wait() predicates (which run under the lock).
    const std::vector<Message>& messages_locked() const { return messages_; }
    const std::vector<StateAt>& states_locked() const { return states_; }
    const std::vector<Result<Joined>>& joins_locked() const { return joins_; }

private:
    template <typename F>
    void add(F&& f) {
        {
            std::lock_guard lock(mutex_);
            f();
        }
        changed_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<StateAt> states_;
    std::vector<Message> messages_;
    std::vector<Result<Joined>> joins_;
    std::vector<Presence> presence_;
};

// The "n" field of a message's data ({"n": 7}), or -1.
long data_number(const Message& m);

}  // namespace confab::testing
