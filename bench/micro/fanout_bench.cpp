// The fan-out path without sockets: one shared frame queued to N members' outboxes and
// gathered for writing, as a loop turn does it. Cost per delivery is the figure to watch.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "net/outbox.hpp"
#include "rooms/room_registry.hpp"
#include "ws/frame_writer.hpp"

namespace {

using namespace confab;

struct OutboxMember : rooms::Member {
    net::Outbox outbox;
    void deliver(const rooms::RoomMessagePtr& m) override { outbox.push(m->ws_frame); }
    rooms::MemberInfo info() const override { return {"bench", "", "ws"}; }
};

void BM_FanOutToRoom(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    constexpr int kMessagesPerTurn = 8;
    std::vector<std::unique_ptr<OutboxMember>> all;
    rooms::RoomRegistry registry;
    for (std::size_t i = 0; i < members; ++i) {
        all.push_back(std::make_unique<OutboxMember>());
        registry.join("room", all.back().get());
    }
    auto message = std::make_shared<rooms::RoomMessage>();
    message->room = "room";
    message->ws_frame = ws::make_frame(ws::Opcode::Binary, std::string(64, 'x'));
    iovec iov[64];
    for (auto _ : state) {
        for (int i = 0; i < kMessagesPerTurn; ++i) registry.fan_out(message);
        // End of turn: every member gathers its frames into one write (here: just consumed).
        for (auto& m : all) {
            std::size_t n = m->outbox.gather(iov, 64);
            std::size_t bytes = 0;
            for (std::size_t j = 0; j < n; ++j) bytes += iov[j].iov_len;
            m->outbox.consume(bytes);
        }
    }
    state.SetItemsProcessed(state.iterations() * kMessagesPerTurn * static_cast<std::int64_t>(members));
}
BENCHMARK(BM_FanOutToRoom)->Arg(100)->Arg(1000)->Arg(5000);

}  // namespace
