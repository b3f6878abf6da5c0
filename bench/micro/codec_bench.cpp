// Frame codec throughput: what one loop spends per message read and per frame built.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ws/frame_reader.hpp"
#include "ws/frame_writer.hpp"
#include "ws/utf8.hpp"

namespace {

using namespace confab;

struct CountingHandler : ws::FrameHandler {
    std::size_t messages = 0;
    void on_message(ws::Opcode, std::string_view) override { ++messages; }
    void on_ping(std::string_view) override {}
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t, std::string_view) override {}
};

// A read buffer holding `count` masked client frames of `size` bytes each.
std::string masked_frames(std::size_t count, std::size_t size) {
    std::string one = ws::encode_client_frame(ws::Opcode::Binary, std::string(size, 'x'), 0x12345678);
    std::string all;
    for (std::size_t i = 0; i < count; ++i) all += one;
    return all;
}

void BM_FrameReaderMaskedMessages(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const std::string input = masked_frames(256, size);
    std::string buffer;
    CountingHandler handler;
    for (auto _ : state) {
        buffer = input;  // unmasking is in place: restore the masked bytes each round
        ws::FrameReader reader(ws::Role::Server);
        auto ok = reader.feed({reinterpret_cast<std::uint8_t*>(buffer.data()), buffer.size()}, handler);
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations() * 256);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
}
BENCHMARK(BM_FrameReaderMaskedMessages)->Arg(64)->Arg(1024)->Arg(16 * 1024);

void BM_MakeFrame(benchmark::State& state) {
    const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) {
        FrameRef f = ws::make_frame(ws::Opcode::Text, payload);
        benchmark::DoNotOptimize(f.get());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MakeFrame)->Arg(64)->Arg(1024);

void BM_Utf8Validate(benchmark::State& state) {
    std::string text;
    while (text.size() < 4096) text += "confab ☃ héllo wörld ";
    for (auto _ : state) benchmark::DoNotOptimize(ws::is_valid_utf8(text));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Utf8Validate);

}  // namespace
