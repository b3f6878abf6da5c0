#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace confab::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("confab-static-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(root_ / "img");
        write("index.html", "<h1>hi</h1>");
        write("app.js", "console.log(1)");
        write("img/logo.svg", "<svg/>");
    }
    void TearDown() override { fs::remove_all(root_); }
    void write(const std::string& name, const std::string& body) { std::ofstream(root_ / name) << body; }
    fs::path root_;
};

TEST_F(StaticFilesTest, SlashServesIndexHtml) {
    auto files = StaticFiles::load(root_);
    const auto* f = files.find("/");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->body, "<h1>hi</h1>");
    EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, ContentTypeFollowsExtensionIncludingSubfolders) {
    auto files = StaticFiles::load(root_);
    ASSERT_NE(files.find("/app.js"), nullptr);
    EXPECT_EQ(files.find("/app.js")->content_type, "text/javascript; charset=utf-8");
    ASSERT_NE(files.find("/img/logo.svg"), nullptr);
    EXPECT_EQ(files.find("/img/logo.svg")->content_type, "image/svg+xml");
}

TEST_F(StaticFilesTest, UnknownAndTraversalPathsAreAbsent) {
    auto files = StaticFiles::load(root_);
    EXPECT_EQ(files.find("/missing.html"), nullptr);
    EXPECT_EQ(files.find("/../etc/passwd"), nullptr);
    EXPECT_EQ(files.find("/img/../index.html"), nullptr);
}

TEST_F(StaticFilesTest, EtagChangesWithContent) {
    auto before = StaticFiles::load(root_).find("/app.js")->etag;
    write("app.js", "console.log(2)");
    auto after = StaticFiles::load(root_).find("/app.js")->etag;
    EXPECT_NE(before, after);
    EXPECT_EQ(before.front(), '"');
}

TEST(StaticFiles, MissingRootIsAStartupError) {
    EXPECT_THROW(StaticFiles::load("/nonexistent/confab/web"), std::runtime_error);
}

}  // namespace
}  // namespace confab::http
