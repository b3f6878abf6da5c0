// SqliteResourceStore through the ResourceStore interface: versions, conditional writes
// (If-Match / If-None-Match), JSON Merge Patch (RFC 7386), pagination, tombstones,
// persistence across a reopen, ordering and the queue bound. Real SQLite in a temp dir; every
// wait has a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/sqlite_resource_store.hpp"
#include "store_test_support.hpp"

namespace confab::tests {
namespace {

using nlohmann::json;
using store::ResourceOp;
using store::ResourceRequest;
using store::ResourceResult;
using store::ResourceStatus;
using store::VersionCondition;

using store::testing::kDeadline;
using store::testing::TempDir;

// Records every completion; can hold the store thread inside the sink.
class RecordingSink : public store::ResourceSink, public store::testing::SinkGate {
public:
    void on_completed(std::vector<ResourceResult>&& batch) override {
        pass();
        std::lock_guard lock(mu_);
        for (auto& r : batch) results_.push_back(std::move(r));
        changed_.notify_all();
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mu_);
        return changed_.wait_for(lock, kDeadline, [&] { return results_.size() >= n; });
    }
    std::vector<ResourceResult> results() {
        std::lock_guard lock(mu_);
        return results_;
    }
    std::size_t size() {
        std::lock_guard lock(mu_);
        return results_.size();
    }

private:
    std::mutex mu_;
    std::condition_variable changed_;
    std::vector<ResourceResult> results_;
};

VersionCondition versions(std::vector<std::uint64_t> v) {
    return VersionCondition{false, std::move(v)};
}
VersionCondition any() {
    return VersionCondition{true, {}};
}

ResourceRequest request(ResourceOp op, std::string collection, std::string id,
                        std::string body = {}) {
    ResourceRequest r;
    r.op = op;
    r.collection = std::move(collection);
    r.id = std::move(id);
    r.body = std::move(body);
    return r;
}

class ResourceStore : public ::testing::Test {
protected:
    void SetUp() override {
        config.data_dir = dir.path();
        config.sync = store::SyncMode::Off;
        open();
    }
    void open() { store = std::make_unique<store::SqliteResourceStore>(config, sink); }
    void reopen() {
        store->stop();
        store.reset();
        open();
    }

    std::vector<ResourceResult> run_all(std::vector<ResourceRequest> requests) {
        const std::size_t before = sink.size();
        std::uint64_t token = 1000 + before;
        for (auto& r : requests) {
            r.token = token++;
            auto ok = store->submit(std::move(r));
            EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
        }
        EXPECT_TRUE(sink.wait_for(before + requests.size()));
        auto all = sink.results();
        return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
    }
    ResourceResult run(ResourceRequest r) {
        std::vector<ResourceRequest> one;
        one.push_back(std::move(r));
        auto out = run_all(std::move(one));
        return out.empty() ? ResourceResult{} : std::move(out.front());
    }

    ResourceResult put(const std::string& id, const std::string& doc,
                       std::optional<VersionCondition> if_match = std::nullopt,
                       std::optional<VersionCondition> if_none_match = std::nullopt) {
        auto r = request(ResourceOp::Put, "books", id, doc);
        r.if_match = std::move(if_match);
        r.if_none_match = std::move(if_none_match);
        return run(std::move(r));
    }
    ResourceResult patch(const std::string& id, const std::string& merge_patch,
                         std::optional<VersionCondition> if_match = std::nullopt) {
        auto r = request(ResourceOp::Patch, "books", id, merge_patch);
        r.if_match = std::move(if_match);
        return run(std::move(r));
    }
    ResourceResult get(const std::string& id, const std::string& collection = "books") {
        return run(request(ResourceOp::Get, collection, id));
    }
    ResourceResult remove(const std::string& id,
                          std::optional<VersionCondition> if_match = std::nullopt) {
        auto r = request(ResourceOp::Delete, "books", id);
        r.if_match = std::move(if_match);
        return run(std::move(r));
    }
    ResourceResult list(const std::string& after, std::uint32_t limit,
                        const std::string& collection = "books") {
        auto r = request(ResourceOp::List, collection, "");
        r.after = after;
        r.limit = limit;
        return run(std::move(r));
    }
    static std::vector<std::string> ids(const ResourceResult& r) {
        std::vector<std::string> out;
        for (const auto& item : r.items) out.push_back(item.id);
        return out;
    }

    TempDir dir{"confab_resources_"};
    RecordingSink sink;
    store::ResourceStoreConfig config;
    std::unique_ptr<store::SqliteResourceStore> store;  // last: stopped before the sink goes
};

TEST_F(ResourceStore, CreateAssignsAFreshIdAndVersionOne) {
    auto r = run(request(ResourceOp::Create, "books", "", R"({"title":"Dune"})"));
    ASSERT_EQ(r.status, ResourceStatus::Created);
    EXPECT_EQ(r.resource.version, 1u);
    EXPECT_EQ(r.resource.id.size(), 16u);
    EXPECT_TRUE(r.changed());
    auto read = get(r.resource.id);
    ASSERT_EQ(read.status, ResourceStatus::Ok);
    EXPECT_EQ(read.resource.doc, R"({"title":"Dune"})");
    EXPECT_EQ(read.resource.version, 1u);
}

TEST_F(ResourceStore, CreatedIdsAreUniqueAndSortInCreationOrderEvenWithinOneMillisecond) {
    config.now_ms = [] { return std::int64_t{1'700'000'000'000}; };  // a stopped clock
    reopen();
    std::vector<ResourceRequest> creates;
    for (int i = 0; i < 50; ++i) creates.push_back(request(ResourceOp::Create, "books", "", "{}"));
    auto results = run_all(std::move(creates));
    ASSERT_EQ(results.size(), 50u);
    for (std::size_t i = 1; i < results.size(); ++i) {
        ASSERT_EQ(results[i].status, ResourceStatus::Created);
        EXPECT_LT(results[i - 1].resource.id, results[i].resource.id);
    }
    EXPECT_EQ(list("", 100).items.size(), 50u);
}

TEST_F(ResourceStore, PutCreatesThenReplacesAndEveryWriteAddsOneVersion) {
    auto created = put("dune", R"({"title":"Dune"})");
    EXPECT_EQ(created.status, ResourceStatus::Created);
    EXPECT_EQ(created.resource.version, 1u);
    auto replaced = put("dune", R"({"title":"Dune Messiah"})");
    EXPECT_EQ(replaced.status, ResourceStatus::Ok);
    EXPECT_EQ(replaced.resource.version, 2u);
    auto again = put("dune", R"({"title":"Dune Messiah"})");  // same document: still a write
    EXPECT_EQ(again.resource.version, 3u);
    EXPECT_EQ(get("dune").resource.doc, R"({"title":"Dune Messiah"})");
}

TEST_F(ResourceStore, GetOfAMissingResourceIsNotFound) {
    EXPECT_EQ(get("nope").status, ResourceStatus::NotFound);
}

TEST_F(ResourceStore, NonObjectBodyIsInvalidAndChangesNothing) {
    EXPECT_EQ(put("x", "[1,2]").status, ResourceStatus::Invalid);
    EXPECT_EQ(put("x", "not json").status, ResourceStatus::Invalid);
    EXPECT_EQ(get("x").status, ResourceStatus::NotFound);
}

TEST_F(ResourceStore, IfMatchWithTheCurrentVersionWrites) {
    put("dune", "{}");
    auto r = put("dune", R"({"a":1})", versions({1}));
    EXPECT_EQ(r.status, ResourceStatus::Ok);
    EXPECT_EQ(r.resource.version, 2u);
    EXPECT_EQ(put("dune", R"({"a":2})", versions({7, 2})).status,
              ResourceStatus::Ok);  // any listed
}

TEST_F(ResourceStore, IfMatchWithAStaleVersionFailsAndReportsTheCurrentState) {
    put("dune", R"({"a":1})");
    put("dune", R"({"a":2})");
    auto r = put("dune", R"({"a":3})", versions({1}));
    EXPECT_EQ(r.status, ResourceStatus::PreconditionFailed);
    EXPECT_FALSE(r.changed());
    EXPECT_EQ(r.resource.version, 2u);
    EXPECT_EQ(r.resource.doc, R"({"a":2})");
    EXPECT_EQ(patch("dune", R"({"b":1})", versions({1})).status,
              ResourceStatus::PreconditionFailed);
    EXPECT_EQ(remove("dune", versions({1})).status, ResourceStatus::PreconditionFailed);
    EXPECT_EQ(get("dune").resource.doc, R"({"a":2})");
}

TEST_F(ResourceStore, IfMatchOnAMissingResourceFailsEvenWithStar) {
    EXPECT_EQ(put("ghost", "{}", versions({1})).status, ResourceStatus::PreconditionFailed);
    EXPECT_EQ(put("ghost", "{}", any()).status, ResourceStatus::PreconditionFailed);
    // Precondition before 404 (RFC 9110 §13.2.2).
    EXPECT_EQ(patch("ghost", "{}", versions({1})).status, ResourceStatus::PreconditionFailed);
    EXPECT_EQ(get("ghost").status, ResourceStatus::NotFound);
}

TEST_F(ResourceStore, IfNoneMatchStarCreatesOnlyWhenAbsent) {
    auto first = put("dune", R"({"v":1})", std::nullopt, any());
    EXPECT_EQ(first.status, ResourceStatus::Created);
    auto second = put("dune", R"({"v":2})", std::nullopt, any());
    EXPECT_EQ(second.status, ResourceStatus::PreconditionFailed);
    EXPECT_EQ(second.resource.version, 1u);
    EXPECT_EQ(get("dune").resource.doc, R"({"v":1})");
}

TEST_F(ResourceStore, OfTwoWritersWithTheSameIfMatchExactlyOneWins) {
    put("dune", R"({"n":0})");
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t current = get("dune").resource.version;
        std::vector<ResourceRequest> writers;
        for (int w = 0; w < 2; ++w) {
            auto r = request(ResourceOp::Patch, "books", "dune", json{{"writer", w}}.dump());
            r.if_match = versions({current});
            writers.push_back(std::move(r));
        }
        auto results = run_all(std::move(writers));
        ASSERT_EQ(results.size(), 2u);
        EXPECT_EQ(results[0].status, ResourceStatus::Ok);  // submission order decides
        EXPECT_EQ(results[1].status, ResourceStatus::PreconditionFailed);
        EXPECT_EQ(results[1].resource.version, current + 1);
        EXPECT_EQ(get("dune").resource.version, current + 1);
    }
}

TEST_F(ResourceStore, MergePatchAddsReplacesAndDeletesMembersWithNull) {
    put("dune", R"({"title":"Dune","year":1965,"draft":true})");
    auto r = patch("dune", R"({"year":1966,"author":"Herbert","draft":null,"missing":null})");
    ASSERT_EQ(r.status, ResourceStatus::Ok);
    EXPECT_EQ(r.resource.version, 2u);
    EXPECT_EQ(json::parse(r.resource.doc),
              json::parse(R"({"title":"Dune","year":1966,"author":"Herbert"})"));
    EXPECT_EQ(r.patch, R"({"year":1966,"author":"Herbert","draft":null,"missing":null})");
    EXPECT_EQ(json::parse(get("dune").resource.doc), json::parse(r.resource.doc));
}

TEST_F(ResourceStore, MergePatchMergesNestedObjectsAndReplacesArraysWhole) {
    put("dune", R"({"meta":{"a":1,"b":{"c":2,"d":3}},"tags":["x","y"],"n":{"k":1}})");
    auto r = patch(
        "dune",
        R"({"meta":{"b":{"d":null,"e":4},"f":5},"tags":["z"],"n":"flat","new":{"x":{"y":null}}})");
    ASSERT_EQ(r.status, ResourceStatus::Ok);
    // RFC 7386 §3 examples: nested merge, arrays replaced, nulls inside new objects vanish.
    EXPECT_EQ(
        json::parse(r.resource.doc),
        json::parse(
            R"({"meta":{"a":1,"b":{"c":2,"e":4},"f":5},"tags":["z"],"n":"flat","new":{"x":{}}})"));
}

TEST_F(ResourceStore, MergePatchOfAMissingResourceIsNotFound) {
    EXPECT_EQ(patch("nope", R"({"a":1})").status, ResourceStatus::NotFound);
    EXPECT_EQ(get("nope").status, ResourceStatus::NotFound);
}

TEST_F(ResourceStore, AWriteOverTheDocumentSizeLimitIsRefused) {
    config.max_document_bytes = 64;
    reopen();
    put("dune", R"({"a":"0123456789"})");
    auto r = patch("dune", json{{"b", std::string(60, 'x')}}.dump());  // a patch can grow a doc
    EXPECT_EQ(r.status, ResourceStatus::TooLarge);
    EXPECT_FALSE(r.changed());
    EXPECT_EQ(put("big", json{{"b", std::string(60, 'x')}}.dump()).status,
              ResourceStatus::TooLarge);
    EXPECT_EQ(get("dune").resource.version, 1u);
}

TEST_F(ResourceStore, DeleteLeavesATombstoneSoARecreatedResourceContinuesItsVersion) {
    put("dune", R"({"v":1})");
    put("dune", R"({"v":2})");
    auto deleted = remove("dune");
    ASSERT_EQ(deleted.status, ResourceStatus::Ok);
    EXPECT_TRUE(deleted.changed());
    EXPECT_EQ(deleted.resource.version, 3u);
    EXPECT_TRUE(deleted.resource.doc.empty());
    EXPECT_EQ(get("dune").status, ResourceStatus::NotFound);
    EXPECT_EQ(remove("dune").status, ResourceStatus::NotFound);
    // A stale tag from before the delete never matches the new resource.
    EXPECT_EQ(put("dune", "{}", versions({2})).status, ResourceStatus::PreconditionFailed);
    auto recreated = put("dune", R"({"v":4})", std::nullopt, any());
    EXPECT_EQ(recreated.status, ResourceStatus::Created);
    EXPECT_EQ(recreated.resource.version, 4u);
}

TEST_F(ResourceStore, ListPagesInIdOrderAndSkipsDeletedResources) {
    for (const char* id : {"e", "a", "d", "b", "c", "f"}) put(id, json{{"id", id}}.dump());
    remove("d");
    auto first = list("", 2);
    EXPECT_EQ(ids(first), (std::vector<std::string>{"a", "b"}));
    ASSERT_TRUE(first.next_after);
    EXPECT_EQ(*first.next_after, "b");
    EXPECT_EQ(first.items[0].version, 1u);
    EXPECT_EQ(first.items[0].doc, R"({"id":"a"})");
    auto second = list(*first.next_after, 2);
    EXPECT_EQ(ids(second), (std::vector<std::string>{"c", "e"}));
    ASSERT_TRUE(second.next_after);
    auto last = list(*second.next_after, 2);
    EXPECT_EQ(ids(last), (std::vector<std::string>{"f"}));
    EXPECT_FALSE(last.next_after);
    EXPECT_FALSE(list("", 5).next_after);  // exactly five left: no further page
    EXPECT_EQ(list("", 5).items.size(), 5u);
}

TEST_F(ResourceStore, CollectionsAreSeparate) {
    put("same", R"({"in":"books"})");
    auto other = request(ResourceOp::Put, "films", "same", R"({"in":"films"})");
    EXPECT_EQ(run(std::move(other)).resource.version, 1u);
    EXPECT_EQ(get("same", "films").resource.doc, R"({"in":"films"})");
    EXPECT_EQ(get("same", "books").resource.doc, R"({"in":"books"})");
    EXPECT_EQ(ids(list("", 10, "films")), std::vector<std::string>{"same"});
    EXPECT_TRUE(list("", 10, "empty").items.empty());
}

TEST_F(ResourceStore, ReopenKeepsDocumentsVersionsAndTombstones) {
    put("dune", R"({"v":1})");
    patch("dune", R"({"w":2})");
    put("gone", "{}");
    remove("gone");
    reopen();
    auto r = get("dune");
    ASSERT_EQ(r.status, ResourceStatus::Ok);
    EXPECT_EQ(r.resource.version, 2u);
    EXPECT_EQ(json::parse(r.resource.doc), json::parse(R"({"v":1,"w":2})"));
    EXPECT_EQ(get("gone").status, ResourceStatus::NotFound);
    EXPECT_EQ(put("gone", "{}").resource.version, 3u);
}

TEST_F(ResourceStore, CompletionsArriveInSubmissionOrderWithTheirTokens) {
    const char* names[] = {"r0", "r1", "r2", "r3"};
    std::vector<ResourceRequest> mixed;
    for (int i = 0; i < 30; ++i) {
        mixed.push_back(
            request(i % 3 == 2 ? ResourceOp::Get : ResourceOp::Put, "books", names[i % 4], "{}"));
    }
    auto results = run_all(std::move(mixed));
    ASSERT_EQ(results.size(), 30u);
    for (std::size_t i = 1; i < results.size(); ++i)
        EXPECT_EQ(results[i].token, results[i - 1].token + 1);
}

TEST_F(ResourceStore, AFullQueueRefusesWithBackpressureAndAStoppedStoreIsUnavailable) {
    config.queue_limit = 2;
    reopen();
    sink.hold_next();
    ASSERT_TRUE(store->submit(request(ResourceOp::Put, "books", "a", "{}")));
    ASSERT_TRUE(sink.wait_until_held());  // the first request is out of the queue, not reported
    ASSERT_TRUE(store->submit(request(ResourceOp::Put, "books", "b", "{}")));
    auto refused = store->submit(request(ResourceOp::Put, "books", "c", "{}"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::Backpressure);
    sink.release();
    ASSERT_TRUE(sink.wait_for(2));
    store->stop();
    auto stopped = store->submit(request(ResourceOp::Get, "books", "a"));
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().code, Errc::Unavailable);
}

TEST_F(ResourceStore, ASecondStoreOnTheSameDataDirFailsToOpen) {
    put("dune", "{}");  // the first store holds the database's lock
    RecordingSink other;
    config.busy_timeout = std::chrono::milliseconds(50);
    EXPECT_THROW({ store::SqliteResourceStore second(config, other); }, std::runtime_error);
}

}  // namespace
}  // namespace confab::tests
