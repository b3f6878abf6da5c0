// SqliteDb, SqliteStatement, SqliteTransaction: RAII over the SQLite C API for the store.
// A connection and its statements belong to one thread at a time (opened with NOMUTEX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace confab::store {

class SqliteStatement;

class SqliteDb {
public:
    // Opens (creating if missing) the database file. Throws std::runtime_error.
    explicit SqliteDb(const std::string& path);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    // Start-up: runs `sql` (one or more statements, results ignored); throws on failure.
    void exec_or_throw(const char* sql);
    // Start-up: a one-row, one-column query (PRAGMA ...); throws on failure or no row.
    std::string query_text_or_throw(const char* sql);
    // Start-up: prepares a statement to be reused for the connection's life; throws.
    SqliteStatement prepare(const char* sql);

    // Data plane: runs `sql` (no results expected).
    Result<void> exec(const char* sql);
    // The connection's latest error as an Errc::Unavailable Error mentioning `what`.
    Error error(int code, std::string_view what) const;
    // False once SQLite rolled back on its own (after some I/O or memory errors).
    bool in_transaction() const;
    std::int64_t changes() const;

    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// A prepared statement. Text parameters are bound without copying: the bound string must
// outlive the use, which ends with reset() (see StatementScope).
class SqliteStatement {
public:
    SqliteStatement() = default;  // empty until a prepared one is moved in
    SqliteStatement(SqliteDb& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    ~SqliteStatement();
    SqliteStatement(SqliteStatement&& other) noexcept;
    SqliteStatement& operator=(SqliteStatement&& other) noexcept;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    // 1-based parameter indexes, as in SQL (?1, ?2, ...).
    void bind(int index, std::int64_t value);
    void bind(int index, std::string_view value);
    // SQLITE_ROW, SQLITE_DONE or an (extended) error code.
    int step();
    // Steps a statement that returns no rows; SQLITE_DONE is success.
    Result<void> run(std::string_view what);
    std::int64_t column_int64(int index) const;
    // Valid until the next step() or reset().
    std::string_view column_text(int index) const;
    // Ends a use: releases the statement's read snapshot and the bound strings.
    void reset();

    SqliteDb& db() const { return *db_; }
    sqlite3_stmt* handle() const { return stmt_; }

private:
    SqliteDb* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever path leaves it.
class StatementScope {
public:
    explicit StatementScope(SqliteStatement& stmt) : stmt_(stmt) {}
    ~StatementScope() { stmt_.reset(); }
    StatementScope(const StatementScope&) = delete;
    StatementScope& operator=(const StatementScope&) = delete;
    SqliteStatement* operator->() { return &stmt_; }

private:
    SqliteStatement& stmt_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed uncommitted.
class SqliteTransaction {
public:
    static Result<SqliteTransaction> begin(SqliteDb& db);
    ~SqliteTransaction();
    SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    SqliteTransaction& operator=(SqliteTransaction&&) = delete;
    SqliteTransaction(const SqliteTransaction&) = delete;
    SqliteTransaction& operator=(const SqliteTransaction&) = delete;

    Result<void> commit();
    void rollback();

private:
    explicit SqliteTransaction(SqliteDb& db) : db_(&db) {}
    SqliteDb* db_;  // null once committed or rolled back
};

}  // namespace confab::store
