// Minimal leveled logger to stderr, safe from any thread (one write(2) per line).
#pragma once

#include <fmt/format.h>
#include <string_view>

namespace confab::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

void set_level(Level level);
Level level();
// Parses "debug|info|warn|error|off"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view line);

template <typename... Args>
void debug(fmt::format_string<Args...> fmt, Args&&... args) {
    if (level() <= Level::Debug) write(Level::Debug, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> fmt, Args&&... args) {
    if (level() <= Level::Info) write(Level::Info, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> fmt, Args&&... args) {
    if (level() <= Level::Warn) write(Level::Warn, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> fmt, Args&&... args) {
    if (level() <= Level::Error) write(Level::Error, fmt::format(fmt, std::forward<Args>(args)...));
}

}  // namespace confab::log
