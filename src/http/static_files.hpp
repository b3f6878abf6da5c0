// StaticFiles: the web page's files, read into memory once at start-up so that serving them
// never touches the disk from a loop. Immutable after load(); shared by all loops.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace confab::http {

class StaticFiles {
public:
    struct File {
        std::string content_type;
        std::string body;
        std::string etag;  // strong validator: a hash of the body
    };

    // Reads every regular file under `root` (throws std::runtime_error if `root` is not a
    // directory or the files exceed 32 MiB: a start-up error).
    static StaticFiles load(const std::filesystem::path& root);

    // `path` as requested ("/" means "/index.html"); nullptr when absent.
    const File* find(std::string_view path) const;
    std::size_t size() const { return files_.size(); }

    static std::string_view content_type_for(std::string_view filename);

private:
    std::map<std::string, File, std::less<>> files_;  // key: "/index.html"
};

}  // namespace confab::http
