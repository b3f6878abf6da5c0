// examples/hello_client, run as a user would against a real server.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "support/server_process.hpp"

namespace confab::testing {
namespace {

TEST(Example, HelloClientGreetsARealServerAndExitsZero) {
    ServerProcess server;
    server.start();
    const std::string cmd = std::string(CONFAB_EXAMPLE_BIN) + " " + server.url() + " lobby 2>&1";
    FILE* out = popen(cmd.c_str(), "r");
    ASSERT_NE(out, nullptr);
    std::string text;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), out) != nullptr) text += buf.data();
    const int status = pclose(out);
    ASSERT_TRUE(WIFEXITED(status)) << text;
    EXPECT_EQ(WEXITSTATUS(status), 0) << text;
    EXPECT_NE(text.find("acked as seq 1"), std::string::npos) << text;
    EXPECT_NE(text.find("hello: {\"text\":\"hello from libconfab\"}"), std::string::npos) << text;
}

}  // namespace
}  // namespace confab::testing
