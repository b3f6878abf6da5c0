#include "http/static_files.hpp"

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace confab::http {

namespace fs = std::filesystem;

std::string_view StaticFiles::content_type_for(std::string_view filename) {
    struct Entry {
        std::string_view ext, type;
    };
    static constexpr Entry kTypes[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},  {".webmanifest", "application/manifest+json"},
    };
    for (const auto& e : kTypes) {
        if (filename.size() >= e.ext.size() && filename.ends_with(e.ext)) return e.type;
    }
    return "application/octet-stream";
}

StaticFiles StaticFiles::load(const fs::path& root) {
    constexpr std::size_t kMaxTotal = 32u << 20;
    if (!fs::is_directory(root)) throw std::runtime_error("web root is not a directory: " + root.string());
    StaticFiles out;
    std::size_t total = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream body;
        body << in.rdbuf();
        File file;
        file.body = body.str();
        total += file.body.size();
        if (total > kMaxTotal) throw std::runtime_error("web root holds more than 32 MiB");
        std::string name = entry.path().filename().string();
        file.content_type = std::string(content_type_for(name));
        file.etag = fmt::format("\"{:016x}\"", std::hash<std::string>{}(file.body));
        std::string key = "/" + fs::relative(entry.path(), root).generic_string();
        out.files_.emplace(std::move(key), std::move(file));
    }
    return out;
}

const StaticFiles::File* StaticFiles::find(std::string_view path) const {
    if (path == "/") path = "/index.html";
    auto it = files_.find(path);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace confab::http
