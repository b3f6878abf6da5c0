// How a publication reports its outcome inside the client: called exactly once, on the
// client's strand, with the ack (QoS 1), the written marker (QoS 0, seq 0) or the error.
#pragma once

#include <confab/message.hpp>
#include <functional>

#include "client/client_error.hpp"

namespace confab::client {

using PublishDone = std::function<void(const Result<Ack>&)>;

}  // namespace confab::client
