// ResourceStore: versioned JSON documents in named collections (docs/http-api.md, Resources).
// Any thread may submit; one store thread per instance applies requests strictly in submission
// order and is the only caller of the ResourceSink. Engines: SqliteResourceStore.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace confab::store {

enum class ResourceOp : std::uint8_t {
    Get,     // one resource
    List,    // a page of a collection, ordered by id
    Create,  // a new resource with an id chosen by the store
    Put,     // create or replace
    Patch,   // JSON Merge Patch (RFC 7386) of an existing resource
    Delete,
};

// An entity-tag condition, already parsed from If-Match / If-None-Match (RFC 9110 §13.1).
// Resources carry one version each; their entity-tag names it, so a condition is "any
// current version" ("*") or a set of versions. Tags that name no version are simply absent.
struct VersionCondition {
    bool any = false;
    std::vector<std::uint64_t> versions;

    // `current` 0 means no such resource: nothing matches it, not even "*".
    bool matches(std::uint64_t current) const {
        return current != 0 &&
               (any || std::find(versions.begin(), versions.end(), current) != versions.end());
    }
};

struct ResourceRequest {
    ResourceOp op = ResourceOp::Get;
    std::string collection;  // non-empty
    std::string id;          // non-empty except for Create and List
    // Create, Put: the new document; Patch: the merge patch. A JSON object as compact text
    // (the caller validated it; the store checks again and answers Invalid if it is not).
    std::string body;
    // Evaluated by writes (Put, Patch, Delete) in RFC 9110 §13.2.2 order, before anything
    // else: If-Match fails (PreconditionFailed) unless the resource exists and matches; then
    // If-None-Match fails when the resource exists and matches. Get leaves both to the caller
    // (a match there is a 304, not an error); Create and List ignore them.
    std::optional<VersionCondition> if_match;
    std::optional<VersionCondition> if_none_match;
    std::string after;        // List: only ids greater than this (byte order)
    std::uint32_t limit = 0;  // List: page size; 0 or too large: the engine's maximum
    std::uint64_t token = 0;  // caller's cookie, returned untouched
};

enum class ResourceStatus : std::uint8_t {
    Ok,                  // read, replaced, patched or deleted
    Created,             // Create, or a Put of an absent resource
    NotFound,            // Get, Patch, Delete of an absent resource
    PreconditionFailed,  // a condition of the request did not hold; nothing changed
    Invalid,             // the body is not a JSON object; nothing changed
    TooLarge,            // the new document would exceed the engine's size limit (a Patch
                         // can grow a document); nothing changed
    Failed,              // storage error (see error); nothing changed
};

struct Resource {
    std::string id;
    // 1, 2, 3, ... per (collection, id): every write adds one. A delete leaves a tombstone
    // that keeps the version, so a re-created resource continues the count and an entity-tag
    // is never reused for a different state of the same URL.
    std::uint64_t version = 0;
    std::string doc;  // compact JSON object text; empty for a deleted resource
};

struct ResourceResult {
    std::uint64_t token = 0;
    ResourceOp op = ResourceOp::Get;
    ResourceStatus status = ResourceStatus::Failed;
    std::string collection;
    // Get, Create, Put, Patch: the stored state. Delete: the id and the tombstone's version.
    // PreconditionFailed: the current state, if the resource exists (version 0 if not).
    Resource resource;
    std::string patch;  // Patch: the merge patch that was applied (moved from the request)
    // List: one page, ascending id; next_after is set when more resources follow.
    std::vector<Resource> items;
    std::optional<std::string> next_after;
    std::optional<Error> error;  // Failed, Invalid and TooLarge: why

    // A write that changed something: subscribers should hear about it.
    bool changed() const {
        return (status == ResourceStatus::Ok || status == ResourceStatus::Created) &&
               op != ResourceOp::Get && op != ResourceOp::List;
    }
};

// Receives completions. Called on the store thread only, one call at a time, after the
// transaction holding every write in `batch` committed, in submission order (a batch is a
// run of consecutive requests). Must not throw; whatever it blocks on delays later requests.
class ResourceSink {
public:
    virtual ~ResourceSink() = default;
    virtual void on_completed(std::vector<ResourceResult>&& batch) = 0;
};

class ResourceStore {
public:
    virtual ~ResourceStore() = default;
    // Queues a request; its completion reaches the sink later. Never blocks on disk.
    // Errors: Errc::Backpressure when the queue is full, Errc::Unavailable after stop() began.
    // On error nothing was queued and no completion will follow.
    virtual Result<void> submit(ResourceRequest request) = 0;
    // Refuses new requests, completes every queued one, and joins the store thread.
    // Idempotent; must not be called from the sink.
    virtual void stop() = 0;
};

}  // namespace confab::store
