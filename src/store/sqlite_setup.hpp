// Start-up steps every SQLite store of the data dir shares (history, resources): where the
// file goes, how the connection is configured, how the schema is migrated. All throw
// std::runtime_error with a message that names the store (`owner`) and the file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/sqlite_db.hpp"
#include "store/store_config.hpp"

namespace confab::store {

// `dir`/`file_name`, creating `dir` if missing; throws when it cannot be created or written.
std::string database_file_in(const std::string& dir, std::string_view file_name,
                             std::string_view owner);

// Exclusive locking, WAL journal, and the fsync policy of `sync`.
void configure_exclusive_wal(SqliteDb& db, SyncMode sync, std::int64_t busy_timeout_ms,
                             std::string_view owner);

// Runs migrations[v] for every v from the file's user_version up to migrations.size() in
// one write transaction and returns the version the file had. A file newer than this binary
// is refused.
int migrate_schema(SqliteDb& db, std::span<const char* const> migrations, std::string_view owner);

// SQLite integers are signed 64-bit: seqs and versions (unsigned) cross over through these.
inline std::int64_t as_sql(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}
inline std::uint64_t from_sql(std::int64_t v) {
    return static_cast<std::uint64_t>(v);
}

}  // namespace confab::store
