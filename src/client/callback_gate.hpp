// The one door every application callback goes through: it runs callbacks one at a time,
// stops them for good when the client closes (close() waits for a running one to finish,
// unless it is called from inside that callback), and keeps exceptions from escaping into
// the I/O loop. Any thread.
#pragma once

#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace confab::client {

class CallbackGate {
public:
    // Runs `f` unless the gate is closed. An exception from `f` is reported on stderr and
    // swallowed: the callback boundary is the application's, not the loop's.
    template <typename F>
    void run(F&& f) {
        if (inside_callback()) {  // nested (e.g. close() from a callback): mutex_ is ours
            if (!closed_) invoke(std::forward<F>(f));
            return;
        }
        std::lock_guard lock(mutex_);
        if (closed_) return;
        running_on_.store(std::this_thread::get_id(), std::memory_order_release);
        invoke(std::forward<F>(f));
        running_on_.store(std::thread::id(), std::memory_order_release);
    }

    // After this returns no callback runs, and none is running (except the caller's own,
    // when called from inside a callback).
    void close() {
        if (running_on_.load(std::memory_order_acquire) == std::this_thread::get_id()) {
            closed_ = true;  // we hold mutex_ already: inside run() on this thread
            return;
        }
        std::lock_guard lock(mutex_);
        closed_ = true;
    }

    // True when called from inside a callback on this thread.
    bool inside_callback() const {
        return running_on_.load(std::memory_order_acquire) == std::this_thread::get_id();
    }

private:
    template <typename F>
    static void invoke(F&& f) {
        try {
            std::forward<F>(f)();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "confab client: a callback threw: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "confab client: a callback threw a non-exception\n");
        }
    }

    std::mutex mutex_;
    bool closed_ = false;  // guarded by mutex_
    std::atomic<std::thread::id> running_on_{};
};

// `f` wrapped so that it only ever runs through `gate` (empty stays empty).
template <typename... Args>
std::function<void(Args...)> gated(const std::shared_ptr<CallbackGate>& gate,
                                   std::function<void(Args...)> f) {
    if (!f) return {};
    return [gate, f = std::move(f)](Args... args) { gate->run([&] { f(args...); }); };
}

}  // namespace confab::client
