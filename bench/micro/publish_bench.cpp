// The per-publish work of a confab.v1 QoS 0 `pub`, paid once per message whatever the room's
// size: parsing the command, then building the shared frames. At 100 receivers it is spread
// over few deliveries, which is where confab.v1 trails plain rooms (docs/performance.md).
#include <benchmark/benchmark.h>

#include <string>

#include "proto/command.hpp"
#include "session/room_message_builder.hpp"

namespace {

using namespace confab;

const std::string kPub =
    R"({"type":"pub","room":"bench-0","qos":0,"data":")" + std::string(62, 'x') + R"("})";

void BM_ParsePub(benchmark::State& state) {
    for (auto _ : state) {
        auto command = proto::parse_command(kPub);
        benchmark::DoNotOptimize(command);
    }
}
BENCHMARK(BM_ParsePub);

// Arg: 0 = only v1 members online, 1 = plain-room members and telnet users too.
void BM_BuildChatMessage(benchmark::State& state) {
    session::SessionConfig config{.permessage_deflate = false};
    session::Audience audience;
    audience.v1_online = 1;
    audience.plain_online = static_cast<int>(state.range(0));
    audience.telnet_online = static_cast<int>(state.range(0));
    session::BuildContext ctx{config, audience};
    const std::string data = '"' + std::string(62, 'x') + '"';
    for (auto _ : state) {
        auto m = session::build_chat_message(
            ctx, {.room = "bench-0",
                  .line = session::chat_line_from_v1("bench-12", "m-a75c779373fb72d5", data),
                  .ts_ms = 1795481461882,
                  .sender = 12});
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK(BM_BuildChatMessage)->Arg(0)->Arg(1);

}  // namespace
