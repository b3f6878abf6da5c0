// The resources HTTP API (docs/http-api.md, "Resources"): versioned JSON documents at
// /api/resources/{collection}/{id}, kept by a ResourceStore. Every change is also published,
// through the history store, as a QoS 1 event to the rooms resources/{collection} and
// resources/{collection}/{id}. ResourcesApi is shared by all loops and immutable after
// construction; it answers on the caller's loop. ResourceBridge runs on the store thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "http/rooms_api.hpp"
#include "net/connection.hpp"
#include "net/event_loop.hpp"
#include "store/history_store.hpp"
#include "store/resource_store.hpp"

namespace confab::http {

inline constexpr std::string_view kResourcesPath = "/api/resources";

// What a request left with the resource store, completed on its own loop. The store's token
// carries a pointer to one; the ResourceBridge takes it back and posts on_done to `loop`.
struct PendingResource {
    net::EventLoop* loop = nullptr;
    std::weak_ptr<net::Connection> conn;  // on_done runs only while it is open
    std::function<void(store::ResourceResult&&)> on_done;
};

// The resource store's sink. For each committed batch, on the store thread: first every
// change's event is submitted to the history store (in commit order, from this one thread,
// so each resource's events keep version order), then every answer is posted to its loop.
class ResourceBridge final : public store::ResourceSink {
public:
    // `history` must outlive the resource store that calls this sink.
    explicit ResourceBridge(store::HistoryStore& history) : history_(history) {}

    void on_completed(std::vector<store::ResourceResult>&& batch) override;

    // Events the history store refused (its queue stayed full, or it stopped); any thread.
    std::uint64_t dropped_events() const { return dropped_.load(std::memory_order_relaxed); }

private:
    void publish(const store::ResourceResult& change);

    store::HistoryStore& history_;
    std::atomic<std::uint64_t> dropped_{0};
};

class ResourcesApi {
public:
    using Request = RoomsApi::Request;
    using Reply = RoomsApi::Reply;

    // `store` must outlive every connection that may call handle().
    ResourcesApi(ApiConfig config, store::ResourceStore& store)
        : config_(std::move(config)), store_(store) {}

    // Answers `req` for a path under kResourcesPath (`query` starts with '?' or is empty) by
    // calling `reply` exactly once, now or later on this loop (after the store committed).
    void handle(const Request& req, std::string_view path, std::string_view query,
                KeepAlive keep_alive, net::Connection& conn, Reply reply) const;

private:
    ApiConfig config_;
    store::ResourceStore& store_;
};

}  // namespace confab::http
