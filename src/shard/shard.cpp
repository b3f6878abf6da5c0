#include "shard/shard.hpp"

#include <map>

namespace confab::shard {

Shard::Shard(unsigned index, std::chrono::milliseconds hold)
    : loop_(index), hold_(hold), hold_timer_(loop_.io()) {}

void Shard::connect(std::vector<Shard*> all) {
    shards_ = std::move(all);
    outgoing_.resize(shards_.size());
}

void Shard::publish(rooms::RoomMessagePtr message) {
    if (!held_.empty()) release_held(message->room);
    publish_now(message);
}

void Shard::publish_soon(rooms::RoomMessagePtr message, std::size_t max_members) {
    if (hold_.count() <= 0) return publish(std::move(message));
    if (!held_.hold({message, max_members})) {
        release_all_held();
        held_.hold({std::move(message), max_members});
    }
    if (hold_timer_armed_) return;
    hold_timer_armed_ = true;
    hold_timer_.expires_after(hold_);
    hold_timer_.async_wait([this](const boost::system::error_code& ec) {
        hold_timer_armed_ = false;
        if (!ec) release_all_held();
    });
}

void Shard::release_held(std::string_view room) { release(held_.take(room)); }

void Shard::release_all_held() { release(held_.take_all()); }

void Shard::release(const std::vector<Held>& held) {
    for (const auto& h : held) {
        if (rooms_.member_count(h.message->room) <= h.max_members) publish_now(h.message);
    }
}

void Shard::publish_now(const rooms::RoomMessagePtr& message) {
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
    for (const auto& m : batch) {
        if (!held_.empty()) release_held(m->room);
        n += rooms_.fan_out(m);
    }
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
