// Test helpers for the stores: a temporary data dir, a gate that holds a store thread inside
// its sink, and a history sink that records every completion and lets a test wait for them
// (with a deadline).
#pragma once

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "store/history_store.hpp"
#include "store/store_config.hpp"

namespace confab::store::testing {

// Generous: sanitizer builds on a shared 2-core machine are slow. Only reached on failure.
inline constexpr auto kDeadline = std::chrono::seconds(60);

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "confab_store_") {
        const char* base = std::getenv("TEST_TMPDIR");
        std::string tmpl = std::string(base ? base : "/tmp") + "/" + prefix + "XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string db_path() const { return path_ + "/history.sqlite3"; }

private:
    std::string path_;
};

// Lets a test hold a store thread inside its sink, so that requests pile up in the queue. A
// sink derives from it and calls pass() first in every completion.
class SinkGate {
public:
    // The next completion holds the store thread inside the sink until release().
    void hold_next() {
        std::lock_guard lock(gate_mu_);
        hold_ = true;
        held_ = false;
    }
    bool wait_until_held() {
        std::unique_lock lock(gate_mu_);
        return gate_changed_.wait_for(lock, kDeadline, [&] { return held_; });
    }
    void release() {
        std::lock_guard lock(gate_mu_);
        hold_ = false;
        gate_changed_.notify_all();
    }

protected:
    void pass() {
        std::unique_lock lock(gate_mu_);
        if (!hold_) return;
        held_ = true;
        gate_changed_.notify_all();
        // Bounded, so a failing test cannot hang stop() forever.
        gate_changed_.wait_for(lock, kDeadline, [&] { return !hold_; });
    }

private:
    std::mutex gate_mu_;
    std::condition_variable gate_changed_;
    bool hold_ = false;
    bool held_ = false;
};

// One completion, in the order the sink saw it.
struct Completion {
    bool is_read = false;
    AppendResult append;
    ReadResult read;
    std::uint64_t token() const { return is_read ? read.token : append.token; }
};

class RecordingSink : public HistorySink, public SinkGate {
public:
    void on_appended(std::vector<AppendResult>&& batch) override {
        pass();
        std::lock_guard lock(mu_);
        batch_sizes_.push_back(batch.size());
        for (auto& r : batch) completions_.push_back(Completion{false, std::move(r), {}});
        changed_.notify_all();
    }
    void on_read(ReadResult&& result) override {
        pass();
        std::lock_guard lock(mu_);
        completions_.push_back(Completion{true, {}, std::move(result)});
        changed_.notify_all();
    }
    void on_trimmed(std::uint64_t removed) override {
        std::lock_guard lock(mu_);
        trimmed_ += removed;
        changed_.notify_all();
    }

    // True once at least `n` completions arrived; false at the deadline.
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mu_);
        return changed_.wait_for(lock, kDeadline, [&] { return completions_.size() >= n; });
    }
    bool wait_for_trimmed(std::uint64_t total) {
        std::unique_lock lock(mu_);
        return changed_.wait_for(lock, kDeadline, [&] { return trimmed_ >= total; });
    }
    std::vector<Completion> completions() const {
        std::lock_guard lock(mu_);
        return completions_;
    }
    std::vector<std::size_t> batch_sizes() const {
        std::lock_guard lock(mu_);
        return batch_sizes_;
    }
    std::uint64_t trimmed() const {
        std::lock_guard lock(mu_);
        return trimmed_;
    }
    std::size_t size() const {
        std::lock_guard lock(mu_);
        return completions_.size();
    }

private:
    mutable std::mutex mu_;
    std::condition_variable changed_;
    std::vector<Completion> completions_;
    std::vector<std::size_t> batch_sizes_;
    std::uint64_t trimmed_ = 0;
};

inline StoreConfig test_config(const TempDir& dir) {
    StoreConfig c;
    c.data_dir = dir.path();
    c.sync = SyncMode::Batch;
    return c;
}

inline AppendRequest message(std::string room, std::uint64_t token, std::string payload = "{}",
                             std::string session_id = "s1", std::string client_msg_id = "",
                             std::int64_t ts_ms = 1'000) {
    AppendRequest r;
    r.room = std::move(room);
    r.session_id = std::move(session_id);
    r.client_msg_id = std::move(client_msg_id);
    r.payload = std::move(payload);
    r.ts_ms = ts_ms;
    r.token = token;
    return r;
}

inline ReadRequest read_after(std::string room, std::uint64_t after_seq, std::uint64_t token,
                              std::uint32_t limit = 0) {
    ReadRequest r;
    r.room = std::move(room);
    r.after_seq = after_seq;
    r.limit = limit;
    r.token = token;
    return r;
}

}  // namespace confab::store::testing
