#include "http/resources_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <charconv>
#include <chrono>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "http/api_access.hpp"
#include "proto/command.hpp"
#include "rooms/room_name.hpp"
#include "session/chat_line.hpp"
#include "session/history_bridge.hpp"
#include "session/pending.hpp"

namespace confab::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using store::ResourceOp;
using store::ResourceStatus;
using Request = ResourcesApi::Request;

namespace {

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::uint64_t kDefaultPage = 100;
constexpr std::uint64_t kMaxPage = 1000;
// As for confab.v1 commands: bounds the recursion of everything that walks a document later
// (dump, merge patch), which is not iterative.
constexpr std::size_t kMaxDepth = 32;
constexpr std::string_view kItemMethods = "GET, HEAD, PUT, PATCH, DELETE";
constexpr std::string_view kCollectionMethods = "GET, HEAD, POST";
constexpr std::string_view kPatchTypes = "application/merge-patch+json, application/json";
// How long the store thread retries an event while the history store's queue is full.
constexpr auto kEventRetryBudget = std::chrono::seconds(5);

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
std::string json_string(std::string_view s) {
    return dump(json(std::string(s)));
}

// 1-64 of [A-Za-z0-9._-], but not "." or "..": those are URL dot segments that clients
// remove before sending (RFC 3986 §5.2.4), so such a resource could not be addressed.
bool is_valid_name(std::string_view s) {
    if (s.empty() || s.size() > kMaxNameBytes || s == "." || s == "..") return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

std::string collection_room(std::string_view collection) {
    return fmt::format("resources/{}", collection);
}
std::string resource_room(std::string_view collection, std::string_view id) {
    return fmt::format("resources/{}/{}", collection, id);
}

std::string etag(std::uint64_t version) {
    return fmt::format("\"v{}\"", version);
}


// If-Match / If-None-Match as versions (RFC 9110 §13.1.1, §13.1.2); nullopt when the header
// is absent or empty. Our entity-tags are "v<version>"; other tags can match nothing and are
// dropped. If-Match compares strongly (a weak tag never matches), If-None-Match weakly.
std::optional<store::VersionCondition> parse_condition(const Request& req, bhttp::field field,
                                                       bool weak_comparison) {
    std::string list;
    for (auto [it, end] = req.equal_range(field); it != end; ++it) {
        if (!list.empty()) list += ',';  // a list may be split over several lines (§5.3)
        list.append(it->value().data(), it->value().size());
    }
    if (trim_blanks(list).empty()) return std::nullopt;
    store::VersionCondition condition;
    std::string_view rest = list;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        std::string_view tag = trim_blanks(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (tag == "*") {
            condition.any = true;
            continue;
        }
        if (tag.starts_with("W/")) {
            if (!weak_comparison) continue;
            tag.remove_prefix(2);
        }
        if (tag.size() < 4 || tag.front() != '"' || tag.back() != '"' || tag[1] != 'v') continue;
        std::string_view digits = tag.substr(2, tag.size() - 3);
        std::uint64_t version = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
        if (ec == std::errc() && end == digits.data() + digits.size()) {
            condition.versions.push_back(version);
        }
    }
    return condition;
}

// The media type of Content-Type, lowercased, without parameters.
std::string media_type(const Request& req) {
    auto value = req[bhttp::field::content_type];
    std::string_view type(value.data(), value.size());
    std::string out(trim_blanks(type.substr(0, type.find(';'))));
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The body as compact JSON object text, or the 400 detail.
Result<std::string> parse_object_body(std::string_view body, std::string_view what) {
    if (proto::json_nesting_depth(body, kMaxDepth) > kMaxDepth) {
        return fail(Errc::BadRequest,
                    fmt::format("the {} is nested deeper than {} levels", what, kMaxDepth));
    }
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded())
        return fail(Errc::BadRequest, proto::json_syntax_error(body).message);
    if (!parsed.is_object())
        return fail(Errc::BadRequest, fmt::format("the {} must be a JSON object", what));
    return dump(parsed);
}

// {"event":..,"collection":..,"id":..,"version":..[,"doc":..][,"patch":..]}: the stored texts
// are compact JSON already, so they are spliced rather than parsed again.
std::string event_data(const store::ResourceResult& r) {
    const std::string_view event = r.op == ResourceOp::Delete            ? "deleted"
                                   : r.status == ResourceStatus::Created ? "created"
                                                                         : "updated";
    std::string out =
        fmt::format(R"({{"event":"{}","collection":{},"id":{},"version":{})", event,
                    json_string(r.collection), json_string(r.resource.id), r.resource.version);
    if (r.op != ResourceOp::Delete)
        fmt::format_to(std::back_inserter(out), R"(,"doc":{})", r.resource.doc);
    if (r.op == ResourceOp::Patch)
        fmt::format_to(std::back_inserter(out), R"(,"patch":{})", r.patch);
    out += '}';
    return out;
}

std::string list_body(const store::ResourceResult& r) {
    std::string out = fmt::format(R"({{"collection":{},"items":[)", json_string(r.collection));
    for (std::size_t i = 0; i < r.items.size(); ++i) {
        const auto& item = r.items[i];
        fmt::format_to(std::back_inserter(out), R"({}{{"id":{},"version":{},"doc":{}}})",
                       i ? "," : "", json_string(item.id), item.version, item.doc);
    }
    out += ']';
    if (r.next_after)
        fmt::format_to(std::back_inserter(out), R"(,"next_after":{})", json_string(*r.next_after));
    out += '}';
    return out;
}

// One request being answered.
struct Call {
    const Request& req;
    std::string_view query;
    KeepAlive ka;
    net::Connection& conn;
    const ResourcesApi::Reply& reply;
    store::ResourceStore& store;

    void problem(int status, std::string_view detail, HeaderList extra = {}) const {
        reply(make_problem(status, detail, ka, extra));
    }
    bool head() const { return req.method() == bhttp::verb::head; }

    // Submits `request`; `on_done` runs later on this loop while the connection is open.
    void submit(store::ResourceRequest request,
                std::function<void(store::ResourceResult&&)> on_done) const {
        auto pending = std::make_unique<PendingResource>();
        pending->loop = &conn.loop();
        pending->conn = conn.weak_from_this();
        pending->on_done = std::move(on_done);
        PendingResource* raw = pending.get();
        request.token = session::to_token(std::move(pending));
        if (auto ok = store.submit(std::move(request)); !ok) {
            session::from_token<PendingResource>(reinterpret_cast<std::uint64_t>(raw));  // reclaim
            problem(503, "resource store busy: " + ok.error().message, {{"Retry-After", "1"}});
        }
    }
};

// The answers every operation shares; false when `r` is a success for the caller to render.
bool answer_failure(const store::ResourceResult& r, const ResourcesApi::Reply& reply,
                    KeepAlive ka) {
    const std::string message = r.error ? r.error->message : std::string();
    switch (r.status) {
        case ResourceStatus::Failed:
            reply(
                make_problem(503, "resource store failed: " + message, ka, {{"Retry-After", "1"}}));
            return true;
        case ResourceStatus::Invalid:
            reply(make_problem(400, message, ka));
            return true;
        case ResourceStatus::TooLarge:
            reply(make_problem(413, message, ka));
            return true;
        case ResourceStatus::NotFound:
            reply(make_problem(404, "no such resource", ka));
            return true;
        case ResourceStatus::PreconditionFailed:
            if (r.resource.version == 0) {
                reply(make_problem(412, "precondition failed: the resource does not exist", ka));
            } else {
                const std::string tag = etag(r.resource.version);
                reply(make_problem(412,
                                   "precondition failed: the resource is at version " +
                                       std::to_string(r.resource.version),
                                   ka, {{"ETag", tag}}));
            }
            return true;
        case ResourceStatus::Ok:
        case ResourceStatus::Created:
            return false;
    }
    return false;
}

void get_one(const Call& c, std::string collection, std::string id) {
    store::ResourceRequest request{
        .op = ResourceOp::Get, .collection = std::move(collection), .id = std::move(id)};
    auto if_match = parse_condition(c.req, bhttp::field::if_match, false);
    auto if_none_match = parse_condition(c.req, bhttp::field::if_none_match, true);
    auto mode = c.head() ? BodyMode::HeadersOnly : BodyMode::Full;
    c.submit(std::move(request), [reply = c.reply, ka = c.ka, mode, if_match,
                                  if_none_match](store::ResourceResult&& r) {
        // RFC 9110 §13.2.2: If-Match (412) before If-None-Match (304), both before 404.
        const std::uint64_t live = r.status == ResourceStatus::Ok ? r.resource.version : 0;
        if (r.status != ResourceStatus::Failed && if_match && !if_match->matches(live)) {
            r.status = ResourceStatus::PreconditionFailed;
        }
        if (answer_failure(r, reply, ka)) return;
        const std::string tag = etag(r.resource.version);
        const int status = if_none_match && if_none_match->matches(live) ? 304 : 200;
        reply(make_response(status, "application/json", r.resource.doc, ka,
                            {{"ETag", tag}, {"Cache-Control", "no-cache"}}, mode));
    });
}

void list(const Call& c, std::string collection) {
    std::string_view after = query_param(c.query, "after").value_or("");
    if (!after.empty() && !is_valid_name(after))
        return c.problem(400, "'after' must be a resource id");
    std::uint64_t limit = kDefaultPage;
    if (auto text = query_param(c.query, "limit")) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
        if (ec != std::errc() || end != text->data() + text->size() || limit == 0 ||
            limit > kMaxPage) {
            return c.problem(400, "'limit' must be an integer from 1 to 1000");
        }
    }
    store::ResourceRequest request{.op = ResourceOp::List,
                                   .collection = std::move(collection),
                                   .after = std::string(after),
                                   .limit = static_cast<std::uint32_t>(limit)};
    auto mode = c.head() ? BodyMode::HeadersOnly : BodyMode::Full;
    c.submit(std::move(request), [reply = c.reply, ka = c.ka, mode](store::ResourceResult&& r) {
        if (answer_failure(r, reply, ka)) return;
        reply(make_response(200, "application/json", list_body(r), ka,
                            {{"Cache-Control", "no-cache"}}, mode));
    });
}

// POST, PUT and PATCH: checks the content type and the body, then writes.
void write(const Call& c, ResourceOp op, std::string collection, std::string id) {
    const std::string type = media_type(c.req);
    if (op == ResourceOp::Patch) {
        if (type != "application/merge-patch+json" && type != "application/json") {
            return c.problem(415, "send a JSON Merge Patch as application/merge-patch+json",
                             {{"Accept-Patch", kPatchTypes}});
        }
    } else if (type != "application/json") {
        return c.problem(415, "send the document as application/json");
    }
    auto body =
        parse_object_body(c.req.body(), op == ResourceOp::Patch ? "merge patch" : "document");
    if (!body) return c.problem(400, body.error().message);
    store::ResourceRequest request{
        .op = op,
        .collection = std::move(collection),
        .id = std::move(id),
        .body = std::move(*body),
        .if_match = parse_condition(c.req, bhttp::field::if_match, false),
        .if_none_match = parse_condition(c.req, bhttp::field::if_none_match, true)};
    c.submit(std::move(request), [reply = c.reply, ka = c.ka](store::ResourceResult&& r) {
        if (answer_failure(r, reply, ka)) return;
        const std::string tag = etag(r.resource.version);
        if (r.status == ResourceStatus::Created) {
            const std::string where =
                fmt::format("{}/{}/{}", kResourcesPath, r.collection, r.resource.id);
            return reply(make_response(201, "application/json", r.resource.doc, ka,
                                       {{"Location", where}, {"ETag", tag}}));
        }
        reply(make_response(200, "application/json", r.resource.doc, ka, {{"ETag", tag}}));
    });
}

void remove(const Call& c, std::string collection, std::string id) {
    store::ResourceRequest request{
        .op = ResourceOp::Delete,
        .collection = std::move(collection),
        .id = std::move(id),
        .if_match = parse_condition(c.req, bhttp::field::if_match, false),
        .if_none_match = parse_condition(c.req, bhttp::field::if_none_match, true)};
    c.submit(std::move(request), [reply = c.reply, ka = c.ka](store::ResourceResult&& r) {
        if (answer_failure(r, reply, ka)) return;
        reply(make_response(204, "", "", ka));
    });
}

}  // namespace

void ResourceBridge::on_completed(std::vector<store::ResourceResult>&& batch) {
    // Events first, in commit order: the history store appends in submission order, so each
    // resource's events are numbered in version order.
    for (const auto& r : batch) {
        if (r.changed()) publish(r);
    }
    for (auto& r : batch) {
        auto pending = session::from_token<PendingResource>(r.token);
        net::EventLoop* loop = pending->loop;
        loop->post([p = std::move(pending), r = std::move(r)]() mutable {
            auto conn = p->conn.lock();
            if (conn && conn->is_open() && p->on_done) p->on_done(std::move(r));
        });
    }
}

void ResourceBridge::publish(const store::ResourceResult& change) {
    const session::ChatLine line =
        session::chat_line_from_v1("resources", "api", event_data(change));
    const std::int64_t ts = session::wall_clock_ms();
    for (const std::string& room : {collection_room(change.collection),
                                    resource_room(change.collection, change.resource.id)}) {
        auto delay = std::chrono::milliseconds(1);
        std::chrono::milliseconds waited{0};
        for (;;) {
            // No connection waits for the ack: the HistoryBridge only fans the event out.
            auto pending = std::make_unique<session::PendingPublish>();
            pending->message = session::ChatMessageSpec{
                .room = room, .line = line, .qos = rooms::Qos::Guaranteed, .ts_ms = ts};
            auto ok = session::submit_publish(history_, std::move(pending), "resources", "");
            if (ok) break;
            if (ok.error().code != Errc::Backpressure || waited >= kEventRetryBudget) {
                dropped_.fetch_add(1, std::memory_order_relaxed);
                log::error("resources: event for {}/{} v{} not published to {}: {}",
                           change.collection, change.resource.id, change.resource.version, room,
                           ok.error().message);
                break;
            }
            // This is the resource store's own thread, not a loop: waiting here is the
            // backpressure (later writes wait too) and keeps every resource's events in order.
            std::this_thread::sleep_for(delay);
            waited += delay;
            delay = std::min(delay * 2, std::chrono::milliseconds(100));
        }
    }
}

void ResourcesApi::handle(const Request& req, std::string_view path, std::string_view query,
                          KeepAlive ka, net::Connection& conn, Reply reply) const {
    Call c{req, query, ka, conn, reply, store_};
    if (auto refusal = api_refusal(req, conn, config_.keys, ka)) return reply(std::move(*refusal));
    std::string_view rest = path.substr(std::min(path.size(), kResourcesPath.size()));
    if (rest.size() <= 1) return c.problem(404, "name a collection: /api/resources/{collection}");
    rest.remove_prefix(1);  // the '/'
    const std::size_t slash = rest.find('/');
    std::string_view collection = rest.substr(0, slash);
    std::string_view id =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (id.find('/') != std::string_view::npos) return c.problem(404, "no such API endpoint");
    if (!is_valid_name(collection)) {
        return c.problem(400,
                         "invalid collection name: use 1-64 of [A-Za-z0-9._-], not '.' or '..'");
    }
    const auto method = req.method();
    const bool read = method == bhttp::verb::get || method == bhttp::verb::head;
    if (id.empty()) {
        if (read) return list(c, std::string(collection));
        if (method == bhttp::verb::post)
            return write(c, ResourceOp::Create, std::string(collection), {});
        return c.problem(405, "method not allowed on a collection",
                         {{"Allow", kCollectionMethods}});
    }
    if (!is_valid_name(id))
        return c.problem(400, "invalid resource id: use 1-64 of [A-Za-z0-9._-], not '.' or '..'");
    // Its event room must be a valid room name too (at most 128 bytes).
    if (!rooms::is_valid_room_name(resource_room(collection, id))) {
        return c.problem(400, "collection and id together are too long (at most 117 bytes)");
    }
    if (read) return get_one(c, std::string(collection), std::string(id));
    switch (method) {
        case bhttp::verb::put:
            return write(c, ResourceOp::Put, std::string(collection), std::string(id));
        case bhttp::verb::patch:
            return write(c, ResourceOp::Patch, std::string(collection), std::string(id));
        case bhttp::verb::delete_:
            return remove(c, std::string(collection), std::string(id));
        default:
            return c.problem(405, "method not allowed on a resource", {{"Allow", kItemMethods}});
    }
}

}  // namespace confab::http
