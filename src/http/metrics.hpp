// GET /metrics: the servers' counters in the Prometheus text exposition format.
// Reads every shard's relaxed counters from the calling loop (a snapshot, not atomic as a
// whole).
#pragma once

#include <string>

#include "session/session_context.hpp"

namespace confab::http {

std::string render_metrics(const session::SessionContext& ctx);

}  // namespace confab::http
