#include "shard/shard.hpp"

#include <map>

namespace confab::shard {

Shard::Shard(unsigned index) : loop_(index) {}

void Shard::connect(std::vector<Shard*> all) {
    shards_ = std::move(all);
    outgoing_.resize(shards_.size());
}

void Shard::publish(rooms::RoomMessagePtr message) {
    stats_.add(stats_.published);
    stats_.add(stats_.delivered, rooms_.fan_out(message));
    if (shards_.size() <= 1) return;
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        if (i != index()) outgoing_[i].push_back(message);
    }
    if (!batches_scheduled_) {
        batches_scheduled_ = true;
        loop_.at_end_of_turn([this] { send_batches(); });
    }
}

void Shard::send_batches() {
    batches_scheduled_ = false;
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        if (outgoing_[i].empty()) continue;
        Shard* target = shards_[i];
        target->loop().post([target, batch = std::move(outgoing_[i])]() mutable {
            target->deliver_batch(batch);
        });
        outgoing_[i] = {};
    }
}

void Shard::deliver_batch(const std::vector<rooms::RoomMessagePtr>& batch) {
    std::uint64_t n = 0;
    for (const auto& m : batch) n += rooms_.fan_out(m);
    stats_.add(stats_.delivered, n);
}

namespace {
// Gathers one answer per shard on the asking loop, then calls done once.
template <typename Part>
struct Gather {
    std::vector<Part> parts;
    std::size_t waiting;
    std::function<void(std::vector<Part>)> done;
};
}  // namespace

void Shard::list_members(std::string room, std::function<void(MemberList)> done) {
    auto gather = std::make_shared<Gather<MemberList>>();
    gather->waiting = shards_.size();
    gather->done = [done = std::move(done)](std::vector<MemberList> parts) {
        MemberList all;
        for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
        done(std::move(all));
    };
    for (Shard* s : shards_) {
        s->loop().post([this, s, room, gather] {
            MemberList names;
            if (auto* members = s->rooms().members(room)) {
                for (auto* m : *members) names.push_back(m->info());
            }
            loop_.post([gather, names = std::move(names)]() mutable {
                gather->parts.push_back(std::move(names));
                if (--gather->waiting == 0) gather->done(std::move(gather->parts));
            });
        });
    }
}

void Shard::list_rooms(std::function<void(RoomList)> done) {
    auto gather = std::make_shared<Gather<RoomList>>();
    gather->waiting = shards_.size();
    gather->done = [done = std::move(done)](std::vector<RoomList> parts) {
        std::map<std::string, std::size_t> merged;
        for (auto& p : parts)
            for (auto& [name, n] : p) merged[name] += n;
        done(RoomList(merged.begin(), merged.end()));
    };
    for (Shard* s : shards_) {
        s->loop().post([this, s, gather] {
            loop_.post([gather, rooms = s->rooms().rooms()]() mutable {
                gather->parts.push_back(std::move(rooms));
                if (--gather->waiting == 0) gather->done(std::move(gather->parts));
            });
        });
    }
}

}  // namespace confab::shard
