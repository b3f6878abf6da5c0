// The `confab` subcommands. Each registers its options on the CLI11 app and returns the
// function that runs it (called after parsing; returns the exit code).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace confab::app {

using Run = std::function<int()>;

Run add_serve_command(CLI::App& app);
Run add_bench_command(CLI::App& app);
Run add_chat_command(CLI::App& app);
Run add_pub_command(CLI::App& app);
Run add_sub_command(CLI::App& app);

}  // namespace confab::app
