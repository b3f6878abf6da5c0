// parse_command on hostile input: random bytes and mutated valid commands. Nothing may crash
// or throw, every error must encode to valid JSON, and whatever parses must satisfy the
// documented guarantees. Fixed seeds and bounded iterations keep it a deterministic unit test;
// the libFuzzer target belongs in tests/fuzz/.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <variant>

#include "proto/command.hpp"
#include "proto/server_message.hpp"
#include "rooms/room_name.hpp"

namespace confab::proto {
namespace {

using json = nlohmann::json;

const std::array<std::string, 9> kValidCommands = {
    R"({"type":"hello","nick":"alice","session":"s-1","ref":"h"})",
    R"({"type":"join","room":"lobby","since":41,"epoch":"e1","history":50,"ref":"j"})",
    R"({"type":"join","room":"a/b:c","history":10})",
    R"({"type":"leave","room":"lobby","ref":"l"})",
    R"({"type":"pub","room":"lobby","data":{"text":"h\u00e9\"llo","n":[1,2.5,null,true]},"id":"m1"})",
    R"({"type":"pub","room":"cursor","data":[1,2],"qos":0,"ttl_ms":500})",
    R"({"type":"members","room":"lobby","ref":"m"})",
    R"({"type":"ping","ref":"p"})",
    R"({"type":"pub","room":"r","data":"\ud83d\ude00\u2028\\","qos":1,"id":"x"})",
};

// Bytes that matter to a JSON parser, chosen more often than the rest.
const std::string kInteresting = "{}[]\":,\\ntrufalsel0123456789-+.eE \t\r\nu";
const std::array<std::string, 10> kTokens = {
    "\\u",      "\\ud800", "null", "1e999",       "-0", "18446744073709551616",
    "\"type\"", "{",       "[",    "\xF0\x9F\x98"};

std::string random_bytes(std::mt19937& rng) {
    std::uniform_int_distribution<int> length(0, 64);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> pick(0, kInteresting.size() - 1);
    std::string s;
    for (int n = length(rng); n > 0; --n) {
        s += rng() % 2 ? static_cast<char>(byte(rng)) : kInteresting[pick(rng)];
    }
    return s;
}

std::string mutate(std::string s, std::mt19937& rng) {
    std::uniform_int_distribution<int> count(1, 4);
    for (int n = count(rng); n > 0; --n) {
        std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
        switch (rng() % 5) {
            case 0:
                if (at < s.size()) s[at] = static_cast<char>(rng());
                break;
            case 1:
                s.insert(at, 1, kInteresting[rng() % kInteresting.size()]);
                break;
            case 2:
                if (at < s.size()) s.erase(at, 1 + rng() % 8);
                break;
            case 3:
                s.insert(at, kTokens[rng() % kTokens.size()]);
                break;
            default:
                s.insert(at, s.substr(rng() % (s.size() + 1), rng() % 16));
                break;
        }
    }
    return s;
}

// What a successful parse promises the session.
void check_command(const Command& command, const Limits& limits) {
    if (const auto* pub = std::get_if<Pub>(&command)) {
        EXPECT_TRUE(rooms::is_valid_room_name(pub->room));
        EXPECT_TRUE(json::accept(pub->data)) << pub->data;
        EXPECT_LE(pub->data.size(), limits.max_data_bytes);
        if (pub->qos == rooms::Qos::Guaranteed) {
            EXPECT_TRUE(pub->id.has_value());
            EXPECT_FALSE(pub->ttl_ms.has_value());
        }
        std::string out = encode_msg({.room = pub->room,
                                      .qos = pub->qos,
                                      .seq = 1,
                                      .id = pub->id,
                                      .from_nick = "n",
                                      .from_session = "s",
                                      .data = pub->data});
        EXPECT_TRUE(json::accept(out)) << out;
    } else if (const auto* join = std::get_if<Join>(&command)) {
        EXPECT_TRUE(rooms::is_valid_room_name(join->room));
        EXPECT_EQ(join->since.has_value(), join->epoch.has_value());
        EXPECT_LE(join->history, kMaxHistory);
    }
    if (const auto& ref = ref_of(command)) {
        EXPECT_LE(ref->size(), kMaxRefBytes);
    }
}

void check_error(const ProtoError& error, std::string_view input) {
    EXPECT_TRUE(error.code == ErrorCode::BadJson || error.code == ErrorCode::BadRequest ||
                error.code == ErrorCode::UnknownType || error.code == ErrorCode::TooLarge);
    EXPECT_FALSE(error.message.empty());
    if (error.code == ErrorCode::BadJson) {
        ASSERT_TRUE(error.offset.has_value());
        EXPECT_LE(*error.offset, input.size());
    }
    EXPECT_TRUE(json::accept(encode_error(error))) << encode_error(error);
}

void check_input(const std::string& input, const Limits& limits) {
    SCOPED_TRACE(json(input).dump(-1, ' ', true, json::error_handler_t::replace));
    ParseResult result;
    ASSERT_NO_THROW(result = parse_command(input, limits));
    if (result) {
        check_command(*result, limits);
    } else {
        check_error(result.error(), input);
    }
}

TEST(ProtoRobustness, RandomBytesNeverCrashOrThrow) {
    std::mt19937 rng(20240601);
    Limits limits;
    for (int i = 0; i < 20000; ++i) {
        check_input(random_bytes(rng), limits);
        if (HasFatalFailure() || HasFailure()) return;
    }
}

TEST(ProtoRobustness, MutatedValidCommandsNeverCrashOrThrow) {
    std::mt19937 rng(7);
    Limits limits;
    limits.max_data_bytes = 48;  // small, so mutations also cross the data limit
    limits.max_depth = 4;
    int parsed = 0;
    for (int i = 0; i < 30000; ++i) {
        std::string input = mutate(kValidCommands[i % kValidCommands.size()], rng);
        check_input(input, limits);
        if (HasFailure()) return;
        parsed += parse_command(input, limits).has_value();
    }
    // The mutations must leave enough commands valid to exercise the success path.
    EXPECT_GT(parsed, 1000);
}

TEST(ProtoRobustness, SeedCommandsAreValid) {
    for (const auto& text : kValidCommands) {
        EXPECT_TRUE(parse_command(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace confab::proto
