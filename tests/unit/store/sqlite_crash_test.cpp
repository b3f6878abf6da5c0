// Crash safety: a child process appends until SIGKILL; every append it saw reported must be
// in the database exactly once, and each room's seqs must run 1..last_seq without a gap.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_history_store.hpp"
#include "store_fixture.hpp"

namespace confab::store::testing {
namespace {

constexpr int kRooms = 3;
constexpr std::uint64_t kReportedBeforeKill = 3000;

// What the child tells the parent for each reported append.
struct Record {
    std::uint64_t token;  // also the message's client_msg_id
    std::uint64_t seq;
    std::uint64_t room;
};

// The child's sink: forwards each reported append to the pipe, and limits appends in flight.
class PipeSink : public HistorySink {
public:
    explicit PipeSink(int fd) : fd_(fd) {}
    void on_appended(std::vector<AppendResult>&& batch) override {
        std::vector<Record> records;
        for (const auto& r : batch) {
            if (r.error) ::_exit(3);
            records.push_back({r.token, r.seq, r.token % kRooms});
        }
        const char* p = reinterpret_cast<const char*>(records.data());
        std::size_t left = records.size() * sizeof(Record);
        while (left > 0) {
            ssize_t n = ::write(fd_, p, left);
            if (n <= 0) ::_exit(4);
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        std::lock_guard lock(mu_);
        done_ += batch.size();
        cv_.notify_one();
    }
    void on_read(ReadResult&&) override {}
    void wait_until_done_at_least(std::uint64_t n) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_ >= n; });
    }

private:
    int fd_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t done_ = 0;
};

[[noreturn]] void run_child(StoreConfig config, int fd) {
    PipeSink sink(fd);
    SqliteHistoryStore store(std::move(config), sink);
    for (std::uint64_t token = 0;; ++token) {
        if (token >= 512) sink.wait_until_done_at_least(token - 512);  // keep 512 in flight
        AppendRequest r =
            message("room" + std::to_string(token % kRooms), token,
                    R"({"n":)" + std::to_string(token) + "}", "s", std::to_string(token));
        if (!store.submit(std::move(r))) ::_exit(5);
        if (token > 50'000'000) ::_exit(6);  // never killed: the parent failed
    }
}

class SqliteCrashTest : public StoreFixture, public ::testing::WithParamInterface<SyncMode> {};

TEST_P(SqliteCrashTest, ReportedAppendsSurviveSigkillExactlyOnceWithoutGaps) {
    config.sync = GetParam();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        run_child(config, fds[1]);
    }
    ::close(fds[1]);

    std::string bytes;
    char buf[65536];
    bool killed = false;
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // EOF: the child is gone
        bytes.append(buf, static_cast<std::size_t>(n));
        if (!killed && bytes.size() >= kReportedBeforeKill * sizeof(Record)) {
            ::kill(child, SIGKILL);  // mid-stream: more appends are queued and committing
            killed = true;
        }
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited early, status " << status;

    // A record cut by the kill was never fully reported: ignore it.
    std::vector<Record> reported(bytes.size() / sizeof(Record));
    std::memcpy(reported.data(), bytes.data(), reported.size() * sizeof(Record));
    ASSERT_GE(reported.size(), kReportedBeforeKill);

    open();
    for (std::uint64_t room = 0; room < kRooms; ++room) {
        const std::string name = "room" + std::to_string(room);
        auto r = read(read_after(name, 0, 0, 1000));
        std::uint64_t after = 0;
        std::map<std::uint64_t, std::string> ids;  // seq → client_msg_id
        std::map<std::string, int> copies;
        for (;;) {  // the whole room, page by page
            for (const auto& m : r.messages) {
                ids[m.seq] = m.client_msg_id;
                ++copies[m.client_msg_id];
            }
            if (!r.truncated) break;
            after = r.messages.back().seq;
            r = read(read_after(name, after, 0, 1000));
        }
        ASSERT_FALSE(ids.empty());
        EXPECT_EQ(ids.begin()->first, 1u) << name;
        EXPECT_EQ(ids.rbegin()->first, ids.size()) << name << ": seqs have a gap";
        EXPECT_EQ(r.last_seq, ids.size()) << name;
        for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << name << " id " << id;
        for (const Record& rec : reported) {
            if (rec.room != room) continue;
            auto it = ids.find(rec.seq);
            ASSERT_NE(it, ids.end()) << "reported seq " << rec.seq << " lost in " << name;
            EXPECT_EQ(it->second, std::to_string(rec.token)) << name << " seq " << rec.seq;
        }
        // The sequence continues where the crashed process left it.
        EXPECT_EQ(append(message(name, 0)).seq, ids.size() + 1) << name;
    }
}

INSTANTIATE_TEST_SUITE_P(SyncModes, SqliteCrashTest,
                         ::testing::Values(SyncMode::Batch, SyncMode::Always, SyncMode::Off),
                         [](const auto& info) {
                             switch (info.param) {
                                 case SyncMode::Always:
                                     return std::string("Always");
                                 case SyncMode::Batch:
                                     return std::string("Batch");
                                 case SyncMode::Off:
                                     return std::string("Off");
                             }
                             return std::string("Unknown");
                         });

}  // namespace
}  // namespace confab::store::testing
