#include "store/sqlite_resource_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_setup.hpp"

namespace confab::store {
namespace {

using nlohmann::json;

namespace sql {
// PRAGMA user_version of the newest schema; kMigrations[v] upgrades v → v + 1.
constexpr int kSchemaVersion = 1;
constexpr const char* kMigrations[kSchemaVersion] = {
    // v0 → v1. One row per (collection, id) ever written. doc NULL is a tombstone: the
    // resource was deleted, and its version is kept so that a re-created resource continues
    // counting (an entity-tag never names two states of one URL). WITHOUT ROWID: a
    // collection's rows sit in id order in the primary key b-tree, so a page is one seek.
    R"sql(
CREATE TABLE resources (
    collection TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
)sql",
};

constexpr const char* kLoad =
    "SELECT version, doc FROM resources WHERE collection = ?1 AND id = ?2";
constexpr const char* kSave =
    "INSERT INTO resources (collection, id, version, doc) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, doc = excluded.doc";
constexpr const char* kBury =
    "UPDATE resources SET version = ?3, doc = NULL WHERE collection = ?1 AND id = ?2";
constexpr const char* kList =
    "SELECT id, version, doc FROM resources "
    "WHERE collection = ?1 AND id > ?2 AND doc IS NOT NULL ORDER BY id LIMIT ?3";
}  // namespace sql

// Parses a document or patch as the store keeps it; nullopt unless it is a JSON object.
std::optional<json> parse_object(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ResourceResult storage_failure(ResourceResult out, Error error) {
    out.status = ResourceStatus::Failed;
    out.resource = {};
    out.items.clear();
    out.next_after.reset();
    out.error = std::move(error);
    return out;
}

}  // namespace

// The resources table on one connection. Store thread only.
class SqliteResourceStore::Tables {
public:
    explicit Tables(const ResourceStoreConfig& config)
        : db_(database_file_in(config.data_dir, SqliteResourceStore::kFileName, "resource store")),
          max_list_(std::max<std::uint32_t>(config.max_list, 1)),
          max_document_bytes_(config.max_document_bytes),
          now_ms_(config.now_ms) {
        configure(config);
        migrate();
        load_ = db_.prepare(sql::kLoad);
        save_ = db_.prepare(sql::kSave);
        bury_ = db_.prepare(sql::kBury);
        list_ = db_.prepare(sql::kList);
    }

    SqliteDb& db() { return db_; }

    // Applies one request inside the caller's transaction. Failed means a storage error: the
    // caller must roll the transaction back. Every other status leaves it usable.
    ResourceResult apply(ResourceRequest&& request);

    Result<void> checkpoint() {
        int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           nullptr, nullptr);
        if (rc != SQLITE_OK) return tl::unexpected(db_.error(rc, "wal checkpoint"));
        return {};
    }

private:
    // A row as loaded: version 0 means no row; a tombstone has a version and no document.
    struct Current {
        std::uint64_t version = 0;
        std::optional<std::string> doc;
        // The version conditions compare with: 0 when there is no live resource.
        std::uint64_t live_version() const { return doc ? version : 0; }
    };

    void configure(const ResourceStoreConfig& config);
    void migrate();
    Result<Current> load(std::string_view collection, std::string_view id);
    Result<void> save(std::string_view collection, std::string_view id, std::uint64_t version,
                      std::string_view doc);
    Result<void> bury(std::string_view collection, std::string_view id, std::uint64_t version);
    void list(const ResourceRequest& request, ResourceResult& out);
    Result<std::string> fresh_id(std::string_view collection);
    void write(ResourceRequest& request, ResourceResult& out);

    SqliteDb db_;
    SqliteStatement load_;  // prepared once; destroyed before db_
    SqliteStatement save_;
    SqliteStatement bury_;
    SqliteStatement list_;
    std::uint32_t max_list_;
    std::size_t max_document_bytes_;
    std::function<std::int64_t()> now_ms_;
    // Create's ids: 12 hex digits of ms, then 4 of a counter within that ms, so they sort in
    // creation order (while the clock does not step back; collisions are checked anyway).
    std::int64_t last_id_ms_ = 0;
    std::uint32_t id_counter_ = 0;
};

void SqliteResourceStore::Tables::configure(const ResourceStoreConfig& config) {
    try {
        configure_exclusive_wal(db_, config.sync, config.busy_timeout.count(), "resource store");
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format(
            "{} (is another confab process using data dir {}?)", e.what(), config.data_dir));
    }
}

void SqliteResourceStore::Tables::migrate() {
    migrate_schema(db_, sql::kMigrations, "resource store");
}

Result<SqliteResourceStore::Tables::Current> SqliteResourceStore::Tables::load(
    std::string_view collection, std::string_view id) {
    StatementScope q(load_);
    q->bind(1, collection);
    q->bind(2, id);
    Current current;
    int rc = q->step();
    if (rc == SQLITE_ROW) {
        current.version = static_cast<std::uint64_t>(q->column_int64(0));
        if (sqlite3_column_type(load_.handle(), 1) != SQLITE_NULL) {
            current.doc = std::string(q->column_text(1));
        }
    } else if (rc != SQLITE_DONE) {
        return tl::unexpected(db_.error(rc, "load resource"));
    }
    return current;
}

Result<void> SqliteResourceStore::Tables::save(std::string_view collection, std::string_view id,
                                               std::uint64_t version, std::string_view doc) {
    StatementScope q(save_);
    q->bind(1, collection);
    q->bind(2, id);
    q->bind(3, as_sql(version));
    q->bind(4, doc);
    return q->run("save resource");
}

Result<void> SqliteResourceStore::Tables::bury(std::string_view collection, std::string_view id,
                                               std::uint64_t version) {
    StatementScope q(bury_);
    q->bind(1, collection);
    q->bind(2, id);
    q->bind(3, as_sql(version));
    return q->run("delete resource");
}

void SqliteResourceStore::Tables::list(const ResourceRequest& request, ResourceResult& out) {
    const std::uint32_t limit = request.limit == 0 ? max_list_ : std::min(request.limit, max_list_);
    StatementScope q(list_);
    q->bind(1, request.collection);
    q->bind(2, request.after);
    q->bind(3, static_cast<std::int64_t>(limit) + 1);  // one more tells whether a page follows
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
        if (out.items.size() == limit) {
            out.next_after = out.items.back().id;
            break;
        }
        out.items.push_back(Resource{std::string(q->column_text(0)),
                                     static_cast<std::uint64_t>(q->column_int64(1)),
                                     std::string(q->column_text(2))});
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        out = storage_failure(std::move(out), db_.error(rc, "list resources"));
        return;
    }
    out.status = ResourceStatus::Ok;
}

Result<std::string> SqliteResourceStore::Tables::fresh_id(std::string_view collection) {
    for (;;) {
        using namespace std::chrono;
        std::int64_t ms =
            now_ms_ ? now_ms_()
                    : duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
        if (ms <= last_id_ms_) {
            ms = last_id_ms_;
            if (++id_counter_ > 0xffff) {
                ms = ++last_id_ms_;
                id_counter_ = 0;
            }
        } else {
            id_counter_ = 0;
        }
        last_id_ms_ = ms;
        std::string id = fmt::format("{:012x}{:04x}", static_cast<std::uint64_t>(ms), id_counter_);
        // Taken (by a PUT, or a tombstone after a clock step back): try the next one.
        auto current = load(collection, id);
        if (!current) return tl::unexpected(current.error());
        if (current->version == 0) return id;
    }
}

ResourceResult SqliteResourceStore::Tables::apply(ResourceRequest&& request) {
    ResourceResult out;
    out.token = request.token;
    out.op = request.op;
    out.collection = request.collection;
    switch (request.op) {
        case ResourceOp::List:
            list(request, out);
            break;
        case ResourceOp::Get: {
            auto current = load(request.collection, request.id);
            if (!current) return storage_failure(std::move(out), current.error());
            out.resource.id = std::move(request.id);
            if (!current->doc) {
                out.status = ResourceStatus::NotFound;
            } else {
                out.status = ResourceStatus::Ok;
                out.resource.version = current->version;
                out.resource.doc = std::move(*current->doc);
            }
            break;
        }
        default:
            write(request, out);
            break;
    }
    return out;
}

// Create, Put, Patch and Delete: conditions, then the change, then the new state in `out`.
void SqliteResourceStore::Tables::write(ResourceRequest& request, ResourceResult& out) {
    auto failed = [&out](Error error) { out = storage_failure(std::move(out), std::move(error)); };
    std::optional<json> body;
    if (request.op != ResourceOp::Delete) {
        body = parse_object(request.body);
        if (!body) {
            out.status = ResourceStatus::Invalid;
            out.error = Error{Errc::BadRequest, "the body must be a JSON object"};
            return;
        }
    }
    if (request.op == ResourceOp::Create) {
        auto id = fresh_id(request.collection);
        if (!id) return failed(id.error());
        request.id = std::move(*id);
    }
    auto current = load(request.collection, request.id);
    if (!current) return failed(current.error());
    out.resource.id = request.id;
    // RFC 9110 §13.2.2: If-Match first, then If-None-Match; both before 404. Create targets
    // the collection, whose conditions mean nothing here.
    if (request.op != ResourceOp::Create) {
        const std::uint64_t live = current->live_version();
        if ((request.if_match && !request.if_match->matches(live)) ||
            (request.if_none_match && request.if_none_match->matches(live))) {
            out.status = ResourceStatus::PreconditionFailed;
            if (current->doc) {
                out.resource.version = current->version;
                out.resource.doc = std::move(*current->doc);
            }
            return;
        }
        if (!current->doc && request.op != ResourceOp::Put) {
            out.status = ResourceStatus::NotFound;
            return;
        }
    }
    const std::uint64_t version = current->version + 1;
    Result<void> stored;
    if (request.op == ResourceOp::Delete) {
        stored = bury(request.collection, request.id, version);
    } else {
        if (request.op == ResourceOp::Patch) {
            json doc = json::parse(*current->doc, nullptr, false);
            if (!doc.is_object()) {
                return failed(Error{Errc::Unavailable, "stored document is not a JSON object"});
            }
            doc.merge_patch(*body);  // RFC 7386; an object patch keeps an object an object
            out.resource.doc = dump(doc);
            out.patch = std::move(request.body);
        } else {
            out.resource.doc = std::move(request.body);
        }
        if (max_document_bytes_ != 0 && out.resource.doc.size() > max_document_bytes_) {
            out.status = ResourceStatus::TooLarge;
            out.error =
                Error{Errc::TooLarge, fmt::format("the document would be {} bytes, the limit is {}",
                                                  out.resource.doc.size(), max_document_bytes_)};
            out.resource = {};
            out.patch.clear();
            return;
        }
        stored = save(request.collection, request.id, version, out.resource.doc);
    }
    if (!stored) return failed(stored.error());
    out.resource.version = version;
    out.status = current->doc ? ResourceStatus::Ok : ResourceStatus::Created;
}

// ----------------------------------------------------------------------------- the store

SqliteResourceStore::SqliteResourceStore(ResourceStoreConfig config, ResourceSink& sink)
    : config_(std::move(config)),
      sink_(sink),
      tables_(std::make_unique<Tables>(config_)),
      thread_([this] { run(); }) {
    log::info("resource store: {}/{} open", config_.data_dir, kFileName);
}

SqliteResourceStore::~SqliteResourceStore() {
    stop();
}

Result<void> SqliteResourceStore::submit(ResourceRequest request) {
    bool was_empty;
    {
        std::lock_guard lock(mu_);
        if (stopping_) return fail(Errc::Unavailable, "resource store is stopped");
        if (depth_.load(std::memory_order_relaxed) >= config_.queue_limit) {
            return fail(Errc::Backpressure, "resource store queue is full");
        }
        depth_.fetch_add(1, std::memory_order_relaxed);
        was_empty = queue_.empty();
        queue_.push_back(std::move(request));
    }
    // The store thread sleeps only on an empty queue: only the first request must wake it.
    if (was_empty) wake_.notify_one();
    return {};
}

void SqliteResourceStore::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_one();
    std::lock_guard join(join_mu_);
    if (thread_.joinable()) thread_.join();
}

void SqliteResourceStore::run() {
    std::deque<ResourceRequest> work;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            while (queue_.empty() && !stopping_) {
                if (!unsynced_since_) {
                    wake_.wait(lock);
                } else if (wake_.wait_until(lock, *unsynced_since_ + config_.sync_interval) ==
                           std::cv_status::timeout) {
                    break;
                }
            }
            // stopping_ with an empty queue: every accepted request has been reported.
            if (queue_.empty() && stopping_) break;
            work.swap(queue_);
        }
        while (!work.empty()) apply_batch(work);
        checkpoint_if_due(false);
    }
    checkpoint_if_due(true);
    tables_.reset();  // closes the connection, releasing the file lock
}

void SqliteResourceStore::apply_batch(std::deque<ResourceRequest>& work) {
    std::vector<ResourceResult> results;
    std::optional<Error> failure;
    auto txn = SqliteTransaction::begin(tables_->db());
    if (!txn) failure = txn.error();
    while (!work.empty() && results.size() < std::max<std::size_t>(config_.batch_max_requests, 1)) {
        ResourceRequest request = std::move(work.front());
        work.pop_front();
        if (failure) {
            ResourceResult out;
            out.token = request.token;
            out.op = request.op;
            out.collection = std::move(request.collection);
            results.push_back(std::move(out));
            continue;
        }
        results.push_back(tables_->apply(std::move(request)));
        if (results.back().status == ResourceStatus::Failed) failure = results.back().error;
    }
    if (!failure) {
        if (auto committed = txn->commit(); !committed) failure = committed.error();
    }
    if (failure) {
        // Nothing of this batch is stored (or, for reads, known to be): report it all failed.
        if (txn) txn->rollback();
        log::error("resource store: a batch of {} request(s) failed: {}", results.size(),
                   failure->message);
        for (auto& r : results) r = storage_failure(std::move(r), *failure);
    } else if (config_.sync == SyncMode::Batch && !unsynced_since_ &&
               std::any_of(results.begin(), results.end(),
                           [](const ResourceResult& r) { return r.changed(); })) {
        unsynced_since_ = Clock::now();
    }
    const std::size_t n = results.size();
    sink_.on_completed(std::move(results));
    depth_.fetch_sub(n, std::memory_order_relaxed);
}

void SqliteResourceStore::checkpoint_if_due(bool force) {
    if (!unsynced_since_ && !force) return;
    if (!force && Clock::now() < *unsynced_since_ + config_.sync_interval) return;
    // Batch mode's durability bound: a checkpoint fsyncs the WAL, then the database.
    if (auto r = tables_->checkpoint(); !r) {
        log::error("resource store: checkpoint failed: {}", r.error().message);
    }
    unsynced_since_.reset();
}

}  // namespace confab::store
