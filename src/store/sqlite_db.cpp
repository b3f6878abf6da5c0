#include "store/sqlite_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <stdexcept>
#include <utility>

namespace confab::store {

SqliteDb::SqliteDb(const std::string& path) : path_(path) {
    // NOMUTEX: the store thread is the only user; SQLite's own locking would be pure cost.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error(fmt::format("history store: cannot open {}: {}", path, msg));
    }
    sqlite3_extended_result_codes(db_, 1);
}

SqliteDb::~SqliteDb() {
    // Statements are finalized by their owners first (members declared after the SqliteDb);
    // close_v2 still defers the close if one was leaked.
    sqlite3_close_v2(db_);
}

void SqliteDb::exec_or_throw(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw std::runtime_error(
            fmt::format("history store: {}: {} (running: {})", path_, msg, sql));
    }
}

std::string SqliteDb::query_text_or_throw(const char* sql) {
    SqliteStatement stmt = prepare(sql);
    int rc = stmt.step();
    if (rc != SQLITE_ROW) {
        throw std::runtime_error(
            fmt::format("history store: {}: {} (running: {})", path_, sqlite3_errmsg(db_), sql));
    }
    std::string out(stmt.column_text(0));
    stmt.reset();
    return out;
}

SqliteStatement SqliteDb::prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        throw std::runtime_error(fmt::format("history store: {}: cannot prepare \"{}\": {}", path_,
                                             sql, sqlite3_errmsg(db_)));
    }
    return SqliteStatement(*this, stmt);
}

Result<void> SqliteDb::exec(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(error(rc, sql));
    return {};
}

Error SqliteDb::error(int code, std::string_view what) const {
    return Error{Errc::Unavailable,
                 fmt::format("sqlite: {} ({}, code {})", sqlite3_errmsg(db_), what, code)};
}

bool SqliteDb::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

std::int64_t SqliteDb::changes() const {
    return sqlite3_changes64(db_);
}

SqliteStatement::~SqliteStatement() {
    sqlite3_finalize(stmt_);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

void SqliteStatement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
}

void SqliteStatement::bind(int index, std::string_view value) {
    // SQLITE_STATIC: no copy; the caller keeps `value` alive until reset() (class contract).
    // A non-null pointer even for "" so the value binds as '' rather than NULL.
    sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(), value.size(),
                        SQLITE_STATIC, SQLITE_UTF8);
}

int SqliteStatement::step() {
    return sqlite3_step(stmt_);
}

Result<void> SqliteStatement::run(std::string_view what) {
    int rc = step();
    if (rc != SQLITE_DONE) return tl::unexpected(db_->error(rc, what));
    return {};
}

std::int64_t SqliteStatement::column_int64(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::string_view SqliteStatement::column_text(int index) const {
    const unsigned char* text = sqlite3_column_text(stmt_, index);
    int size = sqlite3_column_bytes(stmt_, index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

void SqliteStatement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Result<SqliteTransaction> SqliteTransaction::begin(SqliteDb& db) {
    // IMMEDIATE: take the write lock now, not halfway through the batch.
    if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
    return SqliteTransaction(db);
}

SqliteTransaction::~SqliteTransaction() {
    rollback();
}

Result<void> SqliteTransaction::commit() {
    if (db_ == nullptr) return fail(Errc::Unavailable, "sqlite: commit without a transaction");
    auto r = db_->exec("COMMIT");
    if (r || !db_->in_transaction()) db_ = nullptr;  // committed, or SQLite rolled back itself
    return r;
}

void SqliteTransaction::rollback() {
    if (db_ == nullptr) return;
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
    db_ = nullptr;
}

}  // namespace confab::store
