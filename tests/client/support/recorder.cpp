#include "recorder.hpp"

#include <nlohmann/json.hpp>

namespace confab::testing {

long data_number(const Message& m) {
    auto j = nlohmann::json::parse(m.data, nullptr, false);
    if (!j.is_object() || !j.contains("n") || !j["n"].is_number_integer()) return -1;
    return j["n"].get<long>();
}

}  // namespace confab::testing
