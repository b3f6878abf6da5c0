#include "store/sqlite_history_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <malloc.h>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "store/sqlite_history.hpp"

namespace confab::store {

SqliteHistoryStore::SqliteHistoryStore(StoreConfig config, HistorySink& sink)
    : config_(std::move(config)),
      sink_(sink),
      history_(std::make_unique<SqliteHistory>(config_)),
      next_trim_pass_(Clock::now() + config_.trim_interval),
      thread_([this] { run(); }) {
    log::info("history store: {}/{} open (sync {}, queue {}, retention {} messages / {} ms)",
              config_.data_dir, SqliteHistory::kFileName,
              config_.sync == SyncMode::Always  ? "always"
              : config_.sync == SyncMode::Batch ? "batch"
                                                : "off",
              config_.queue_limit, config_.max_messages_per_room, config_.max_age.count());
}

SqliteHistoryStore::~SqliteHistoryStore() {
    stop();
}

Result<void> SqliteHistoryStore::submit(AppendRequest request) {
    return enqueue(Request(std::in_place_type<AppendRequest>, std::move(request)));
}

Result<void> SqliteHistoryStore::submit(ReadRequest request) {
    return enqueue(Request(std::in_place_type<ReadRequest>, std::move(request)));
}

Result<void> SqliteHistoryStore::enqueue(Request&& request) {
    bool was_empty;
    {
        std::lock_guard lock(mu_);
        if (stopping_) return fail(Errc::Unavailable, "history store is stopped");
        if (depth_.load(std::memory_order_relaxed) >= config_.queue_limit) {
            return fail(Errc::Backpressure, "history store queue is full");
        }
        depth_.fetch_add(1, std::memory_order_relaxed);
        was_empty = queue_.empty();
        queue_.push_back(std::move(request));
    }
    // The store thread only sleeps on an empty queue, so only the first request must wake it.
    if (was_empty) wake_.notify_one();
    return {};
}

void SqliteHistoryStore::stop() {
    if (std::this_thread::get_id() == thread_.get_id()) {
        // From the sink: joining ourselves would hang forever.
        log::error("history store: stop() called on the store thread");
        std::abort();
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_one();
    std::lock_guard join(join_mu_);
    if (thread_.joinable()) thread_.join();
}

StoreStats SqliteHistoryStore::stats() const {
    StoreStats s;
    s.appends = appends_.load(std::memory_order_relaxed);
    s.duplicates = duplicates_.load(std::memory_order_relaxed);
    s.failed_appends = failed_appends_.load(std::memory_order_relaxed);
    s.batches = batches_.load(std::memory_order_relaxed);
    const auto requests = batched_requests_.load(std::memory_order_relaxed);
    s.average_batch_size = s.batches ? static_cast<double>(requests) / s.batches : 0.0;
    s.reads = reads_.load(std::memory_order_relaxed);
    s.trimmed = trimmed_.load(std::memory_order_relaxed);
    s.queue_depth = depth_.load(std::memory_order_relaxed);
    s.cache_bytes = cache_bytes_.load(std::memory_order_relaxed);
    s.cache_releases = cache_releases_.load(std::memory_order_relaxed);
    return s;
}

void SqliteHistoryStore::run() {
    std::deque<Request> work;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            while (queue_.empty() && !stopping_) {
                auto deadline = next_housekeeping();
                if (!deadline) {
                    wake_.wait(lock);
                } else if (wake_.wait_until(lock, *deadline) == std::cv_status::timeout) {
                    break;
                }
            }
            // stopping_ with an empty queue: every request ever accepted has been reported.
            if (queue_.empty() && stopping_) break;
            work.swap(queue_);
        }
        if (!work.empty()) cache_used_at_ = Clock::now();
        process(work);
        cache_bytes_.store(history_->cache_bytes(), std::memory_order_relaxed);
        housekeeping();
    }
    // A clean stop leaves nothing unsynced: a last checkpoint (it fsyncs unless sync is Off),
    // then closing the connection releases the file lock.
    if (auto r = history_->checkpoint(); !r) {
        log::error("history store: final checkpoint failed: {}", r.error().message);
    }
    history_.reset();
}

void SqliteHistoryStore::process(std::deque<Request>& work) {
    while (!work.empty()) {
        if (std::holds_alternative<AppendRequest>(work.front())) {
            append_group(work);
        } else {
            ReadResult result = history_->read(std::get<ReadRequest>(std::move(work.front())));
            work.pop_front();
            reads_.fetch_add(1, std::memory_order_relaxed);
            sink_.on_read(std::move(result));
            depth_.fetch_sub(1, std::memory_order_relaxed);
        }
        housekeeping();
    }
}

void SqliteHistoryStore::append_group(std::deque<Request>& work) {
    std::vector<AppendRequest> batch;
    std::size_t bytes = 0;
    const std::size_t max_appends = std::max<std::size_t>(config_.batch_max_appends, 1);
    while (!work.empty() && batch.size() < max_appends) {
        auto* append = std::get_if<AppendRequest>(&work.front());
        if (append == nullptr) break;  // a read ends the group: it must see these appends
        const std::size_t size = append->payload.size();
        if (!batch.empty() && bytes + size > config_.batch_max_bytes) break;
        bytes += size;
        batch.push_back(std::move(*append));
        work.pop_front();
    }
    const std::size_t n = batch.size();
    std::vector<AppendResult> results = history_->append(std::move(batch));

    std::uint64_t stored = 0, dups = 0, failed = 0;
    for (const AppendResult& r : results) {
        if (r.error) {
            ++failed;
        } else if (r.duplicate) {
            ++dups;
        } else {
            ++stored;
        }
    }
    appends_.fetch_add(stored, std::memory_order_relaxed);
    duplicates_.fetch_add(dups, std::memory_order_relaxed);
    failed_appends_.fetch_add(failed, std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    batched_requests_.fetch_add(n, std::memory_order_relaxed);
    if (stored > 0 && config_.sync == SyncMode::Batch && !unsynced_since_) {
        unsynced_since_ = Clock::now();
    }
    sink_.on_appended(std::move(results));
    depth_.fetch_sub(n, std::memory_order_relaxed);
}

std::optional<SqliteHistoryStore::Clock::time_point> SqliteHistoryStore::next_housekeeping() const {
    std::optional<Clock::time_point> next;
    if (unsynced_since_) next = *unsynced_since_ + config_.sync_interval;
    if (history_->retention_enabled()) {
        // While a pass runs, its steps continue as soon as the queue is empty.
        auto trim_at = trim_pass_running_ ? Clock::now() : next_trim_pass_;
        next = next ? std::min(*next, trim_at) : trim_at;
    }
    if (cache_used_at_ && config_.release_cache_after.count() > 0) {
        auto release_at = *cache_used_at_ + config_.release_cache_after;
        next = next ? std::min(*next, release_at) : release_at;
    }
    return next;
}

void SqliteHistoryStore::housekeeping() {
    const auto now = Clock::now();
    if (unsynced_since_ && now >= *unsynced_since_ + config_.sync_interval) {
        // Batch mode's durability bound: a checkpoint fsyncs the WAL, then the database.
        if (auto r = history_->checkpoint(); !r) {
            log::error("history store: checkpoint failed: {}", r.error().message);
        }
        unsynced_since_.reset();
    }
    release_idle_cache(now);
    if (!history_->retention_enabled()) return;
    if (!trim_pass_running_) {
        if (now < next_trim_pass_) return;
        trim_pass_running_ = true;
        pass_removed_ = 0;
    }
    // One step per call: between two request groups the thread never deletes more than
    // trim_step_messages, so appends wait a few milliseconds at most.
    auto step = history_->trim_step(now_ms());
    if (!step) log::error("history store: retention step failed: {}", step.error().message);
    if (step && step->removed > 0) {
        trimmed_.fetch_add(step->removed, std::memory_order_relaxed);
        pass_removed_ += step->removed;
        if (config_.sync == SyncMode::Batch && !unsynced_since_) unsynced_since_ = now;
    }
    if (!step || step->pass_done) {
        trim_pass_running_ = false;
        next_trim_pass_ = now + config_.trim_interval;
        if (pass_removed_ > 0) sink_.on_trimmed(pass_removed_);
    }
}

void SqliteHistoryStore::release_idle_cache(Clock::time_point now) {
    if (!cache_used_at_ || config_.release_cache_after.count() <= 0) return;
    if (now < *cache_used_at_ + config_.release_cache_after) return;
    const std::uint64_t before = history_->cache_bytes();
    const auto started = Clock::now();
    history_->release_cache();
    // SQLite frees page by page; the freed pages sit between live allocations in this
    // thread's arena, so only a trim gives them back to the OS. Once per idle spell.
    malloc_trim(0);
    cache_used_at_.reset();
    const std::uint64_t after = history_->cache_bytes();
    cache_bytes_.store(after, std::memory_order_relaxed);
    cache_releases_.fetch_add(1, std::memory_order_relaxed);
    log::debug("history store: idle, page cache {} -> {} KiB, returned in {} us", before / 1024,
               after / 1024,
               std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
}

std::int64_t SqliteHistoryStore::now_ms() const {
    if (config_.now_ms) return config_.now_ms();
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace confab::store
