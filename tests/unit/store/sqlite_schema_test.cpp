// The on-disk side: query plans, schema version, and start-up failures that must be loud.
#include "store/sqlite_schema.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "store/sqlite_history_store.hpp"
#include "store_fixture.hpp"

namespace confab::store::testing {
namespace {

// A second, plain connection to a closed store's file.
class RawDb {
public:
    explicit RawDb(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open");
    }
    ~RawDb() { sqlite3_close(db_); }
    // Every row's last column, joined with "; ".
    std::string query(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            return std::string("error: ") + sqlite3_errmsg(db_);
        }
        std::string out;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, sqlite3_column_count(stmt) - 1);
            if (!out.empty()) out += "; ";
            out += text ? reinterpret_cast<const char*>(text) : "";
        }
        sqlite3_finalize(stmt);
        return out;
    }
    std::string plan(const char* sql) { return query(std::string("EXPLAIN QUERY PLAN ") + sql); }

private:
    sqlite3* db_ = nullptr;
};

using SqliteSchemaTest = StoreFixture;

TEST_F(SqliteSchemaTest, ResumeAndTrimAreRangeSearchesOnThePrimaryKey) {
    open();
    fill("r", 3);
    close();
    RawDb db(dir.db_path());
    const std::string range = "SEARCH messages USING PRIMARY KEY (room=? AND seq>?)";
    EXPECT_EQ(db.plan(sql::kReadAfter), range);
    EXPECT_EQ(db.plan(sql::kReadLatest), range);
    EXPECT_EQ(db.plan(sql::kDeleteBefore), "SEARCH messages USING PRIMARY KEY (room=? AND seq<?)");
    EXPECT_EQ(db.plan(sql::kFirstSeq), "SEARCH messages USING PRIMARY KEY (room=?)");
    EXPECT_EQ(db.plan(sql::kOldest), "SEARCH messages USING PRIMARY KEY (room=?)");
    EXPECT_EQ(db.plan(sql::kLoadRoom), "SEARCH rooms USING PRIMARY KEY (room=?)");
}

TEST_F(SqliteSchemaTest, DuplicateLookupUsesThePartialDedupIndex) {
    open();
    close();
    RawDb db(dir.db_path());
    EXPECT_EQ(db.plan(sql::kFindDuplicate),
              "SEARCH messages USING INDEX messages_dedup (room=? AND session_id=? AND "
              "client_msg_id=?)");
}

TEST_F(SqliteSchemaTest, StampsTheSchemaVersionAndUsesWal) {
    open();
    close();
    RawDb db(dir.db_path());
    EXPECT_EQ(db.query("PRAGMA user_version"), std::to_string(sql::kSchemaVersion));
    EXPECT_EQ(db.query("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteSchemaTest, RefusesADatabaseFromANewerVersion) {
    open();
    close();
    RawDb(dir.db_path()).query("PRAGMA user_version = 99");
    try {
        open();
        FAIL() << "opened a newer schema";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
}

TEST_F(SqliteSchemaTest, RefusesADataDirItCannotCreate) {
    std::ofstream(dir.path() + "/file") << "x";
    config.data_dir = dir.path() + "/file/sub";  // a path through a regular file
    try {
        open();
        FAIL() << "opened a store under a file";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("data dir"), std::string::npos) << e.what();
    }
}

TEST_F(SqliteSchemaTest, ASecondStoreOnTheSameDataDirFailsAtStartUp) {
    config.busy_timeout = std::chrono::milliseconds(20);
    open();
    RecordingSink other_sink;
    try {
        SqliteHistoryStore second(config, other_sink);
        FAIL() << "two stores share a data dir";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("another confab"), std::string::npos) << e.what();
    }
    EXPECT_EQ(append(message("r", 1)).seq, 1u);  // the first one is unharmed
}

}  // namespace
}  // namespace confab::store::testing
