// A scenario's results: rows for people (a two-column table) and the same numbers as one
// JSON object for scripts. Built on the main thread after the workers are joined.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/epoll_worker.hpp"
#include "bench/histogram.hpp"

namespace confab::bench {

class Report {
public:
    explicit Report(std::string scenario);

    // Starts a titled group of rows in the table (JSON keys are not affected).
    void section(std::string title);
    // A number. `key` is its JSON name; dots nest ("latency_ms.p50"). `precision` digits
    // after the point in the table; with 0 the JSON value is an integer.
    void add(const std::string& key, std::string label, double value, std::string unit = "",
             int precision = 0);
    void add_text(const std::string& key, std::string label, std::string value);
    // count, mean, p50, p90, p99, p99.9, max of a histogram of nanoseconds, shown in ms.
    void add_latency(const std::string& key, const Histogram& ns);
    // Connections lost during the run: total, by Close code, protocol errors, first reason.
    void add_closes(const CloseStats& closes);

    // Bench and server CPU over the measurement window (server only when known).
    void add_cpu(double bench_percent, double server_percent);

    // The table (default) or exactly one line of JSON.
    void print(std::ostream& out, bool as_json) const;

    // Prints to stdout and returns the scenario's exit code: 1, with "confab bench: <nothing>
    // in the measurement window" on stderr, when the window measured nothing.
    int print_result(bool as_json, bool measured_something, std::string_view nothing) const;

private:
    struct Row {
        std::string label;  // empty: a section title in `value`
        std::string value;
    };
    void set(const std::string& key, nlohmann::json value);

    std::string scenario_;
    std::vector<Row> rows_;
    nlohmann::json json_;
};

}  // namespace confab::bench
