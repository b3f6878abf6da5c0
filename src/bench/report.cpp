#include "bench/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace confab::bench {

Report::Report(std::string scenario) : scenario_(std::move(scenario)) {
    json_["scenario"] = scenario_;
}

void Report::set(const std::string& key, nlohmann::json value) {
    std::string pointer = "/" + key;
    for (char& c : pointer) {
        if (c == '.') c = '/';
    }
    json_[nlohmann::json::json_pointer(pointer)] = std::move(value);
}

void Report::section(std::string title) {
    rows_.push_back({"", std::move(title)});
}

void Report::add(const std::string& key, std::string label, double value, std::string unit,
                 int precision) {
    if (precision == 0)
        set(key, static_cast<std::int64_t>(std::llround(value)));
    else
        set(key, value);
    std::string text = fmt::format("{:.{}f}", value, precision);
    if (!unit.empty()) text += " " + unit;
    rows_.push_back({std::move(label), std::move(text)});
}

void Report::add_text(const std::string& key, std::string label, std::string value) {
    set(key, value);
    rows_.push_back({std::move(label), std::move(value)});
}

void Report::add_latency(const std::string& key, const Histogram& ns) {
    constexpr double kMs = 1e6;
    add(key + ".count", "samples", static_cast<double>(ns.count()));
    add(key + ".mean", "mean", ns.mean() / kMs, "ms", 3);
    const std::pair<const char*, double> points[] = {
        {"p50", 50.0}, {"p90", 90.0}, {"p99", 99.0}, {"p99_9", 99.9}};
    for (auto [name, p] : points) {
        std::string label = name;
        if (label == "p99_9") label = "p99.9";
        add(key + "." + name, label, static_cast<double>(ns.value_at_percentile(p)) / kMs, "ms", 3);
    }
    add(key + ".max", "max", static_cast<double>(ns.max()) / kMs, "ms", 3);
}

void Report::add_closes(const CloseStats& closes) {
    add("closes.total", "connections lost", static_cast<double>(closes.total()));
    nlohmann::json by_code = nlohmann::json::object();
    std::string text;
    for (auto [code, n] : closes.by_code) {
        by_code[std::to_string(code)] = n;
        text += fmt::format("{}{}x{}", text.empty() ? "" : ", ", n, code);
    }
    set("closes.by_code", by_code);
    if (!text.empty()) rows_.push_back({"  by close code", text});
    add("closes.protocol_errors", "  protocol errors", static_cast<double>(closes.protocol_errors));
    if (!closes.first_reason.empty()) {
        add_text("closes.first_reason", "  first", closes.first_reason);
    }
}

void Report::add_cpu(double bench_percent, double server_percent) {
    section("cpu (measurement window, % of one core)");
    add("cpu.bench_percent", "bench", bench_percent, "%", 1);
    if (server_percent >= 0) add("cpu.server_percent", "server", server_percent, "%", 1);
}

int Report::print_result(bool as_json, bool measured_something, std::string_view nothing) const {
    print(std::cout, as_json);
    if (measured_something) return 0;
    std::cerr << "confab bench: " << nothing << " in the measurement window\n";
    return 1;
}

void Report::print(std::ostream& out, bool as_json) const {
    if (as_json) {
        out << json_.dump() << "\n";
        return;
    }
    out << "confab bench " << scenario_ << "\n";
    for (const Row& row : rows_) {
        if (row.label.empty())
            out << row.value << "\n";
        else
            out << fmt::format("  {:<30} {}\n", row.label, row.value);
    }
    out.flush();
}

}  // namespace confab::bench
