// A fixture owning a temp data dir, a recording sink and a SqliteHistoryStore, with
// synchronous helpers (submit, then wait for the completion with a deadline).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "store/sqlite_history_store.hpp"
#include "store_test_support.hpp"

namespace confab::store::testing {

class StoreFixture : public ::testing::Test {
protected:
    void open() { store = std::make_unique<SqliteHistoryStore>(config, sink); }
    void close() {
        if (store) store->stop();
        store.reset();
    }
    void reopen() {
        close();
        open();
    }

    // Submits every request, waits for all of them, returns their completions.
    std::vector<AppendResult> append_all(std::vector<AppendRequest> requests) {
        const std::size_t before = sink.size();
        for (auto& r : requests) {
            auto ok = store->submit(std::move(r));
            EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
        }
        EXPECT_TRUE(sink.wait_for(before + requests.size()));
        std::vector<AppendResult> out;
        auto all = sink.completions();
        for (std::size_t i = before; i < all.size(); ++i) out.push_back(std::move(all[i].append));
        return out;
    }
    AppendResult append(AppendRequest request) {
        std::vector<AppendRequest> one;
        one.push_back(std::move(request));
        auto out = append_all(std::move(one));
        return out.empty() ? AppendResult{} : std::move(out.front());
    }
    ReadResult read(ReadRequest request) {
        const std::size_t before = sink.size();
        auto ok = store->submit(std::move(request));
        EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
        EXPECT_TRUE(sink.wait_for(before + 1));
        auto all = sink.completions();
        return all.size() > before ? std::move(all[before].read) : ReadResult{};
    }
    // Appends `n` messages to `room` with payloads "m1".."mn" (numbered from `first`).
    void fill(const std::string& room, int n, int first = 1) {
        std::vector<AppendRequest> batch;
        for (int i = first; i < first + n; ++i) {
            batch.push_back(message(room, static_cast<std::uint64_t>(i), "m" + std::to_string(i)));
        }
        append_all(std::move(batch));
    }
    static std::vector<std::uint64_t> seqs(const ReadResult& r) {
        std::vector<std::uint64_t> out;
        for (const auto& m : r.messages) out.push_back(m.seq);
        return out;
    }
    static std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
        std::vector<std::uint64_t> out;
        for (auto s = from; s <= to; ++s) out.push_back(s);
        return out;
    }

    TempDir dir;
    RecordingSink sink;
    StoreConfig config = test_config(dir);
    std::unique_ptr<SqliteHistoryStore> store;  // last: stopped before the sink goes away
};

}  // namespace confab::store::testing
