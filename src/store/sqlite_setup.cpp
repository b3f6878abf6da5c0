#include "store/sqlite_setup.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace confab::store {

std::string database_file_in(const std::string& dir, std::string_view file_name,
                             std::string_view owner) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir, ec)) {
        throw std::runtime_error(fmt::format("{}: cannot create data dir {}: {}", owner, dir,
                                             ec ? ec.message() : "not a directory"));
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw std::runtime_error(fmt::format("{}: data dir {} is not writable", owner, dir));
    }
    return (fs::path(dir) / file_name).string();
}

void configure_exclusive_wal(SqliteDb& db, SyncMode sync, std::int64_t busy_timeout_ms,
                             std::string_view owner) {
    sqlite3_busy_timeout(db.handle(), static_cast<int>(busy_timeout_ms));
    // EXCLUSIVE before WAL: the WAL index lives in heap memory instead of a -shm file, and the
    // file lock is held for the connection's life, so a second process on the same data dir
    // fails at start-up instead of interleaving seqs or versions.
    db.exec_or_throw("PRAGMA locking_mode = EXCLUSIVE");
    std::string mode = db.query_text_or_throw("PRAGMA journal_mode = WAL");
    if (mode != "wal") {
        throw std::runtime_error(fmt::format("{}: {}: cannot use WAL journal mode (got \"{}\")",
                                             owner, db.path(), mode));
    }
    switch (sync) {
        case SyncMode::Always:
            db.exec_or_throw("PRAGMA synchronous = FULL");
            break;
        case SyncMode::Batch:
            db.exec_or_throw("PRAGMA synchronous = NORMAL");
            break;
        case SyncMode::Off:
            db.exec_or_throw("PRAGMA synchronous = OFF");
            break;
    }
}

int migrate_schema(SqliteDb& db, std::span<const char* const> migrations, std::string_view owner) {
    const int newest = static_cast<int>(migrations.size());
    const int version = std::stoi(db.query_text_or_throw("PRAGMA user_version"));
    if (version > newest) {
        throw std::runtime_error(
            fmt::format("{}: {} has schema version {}, newer than this binary's {}", owner,
                        db.path(), version, newest));
    }
    // Always one write transaction, even with nothing to migrate: it takes the exclusive lock,
    // so a second process fails now rather than at its first write.
    db.exec_or_throw("BEGIN IMMEDIATE");
    try {
        for (int v = version; v < newest; ++v) db.exec_or_throw(migrations[v]);
        db.exec_or_throw(fmt::format("PRAGMA user_version = {}", newest).c_str());
        db.exec_or_throw("COMMIT");
    } catch (...) {
        (void)db.exec("ROLLBACK");
        throw;
    }
    return version;
}

}  // namespace confab::store
