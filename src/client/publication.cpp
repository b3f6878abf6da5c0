#include "client/publication_state.hpp"

namespace confab {
inline namespace client_v1 {

Publication::Publication(std::shared_ptr<client::PublicationState> state)
    : state_(std::move(state)) {}

const std::string& Publication::id() const {
    return state_->id;
}

bool Publication::ready() const {
    std::lock_guard lock(state_->mutex);
    return state_->result.has_value();
}

Result<Ack> Publication::wait() const {
    std::unique_lock lock(state_->mutex);
    state_->done.wait(lock, [&] { return state_->result.has_value(); });
    return *state_->result;
}

std::optional<Result<Ack>> Publication::wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(state_->mutex);
    if (!state_->done.wait_for(lock, timeout, [&] { return state_->result.has_value(); })) {
        return std::nullopt;
    }
    return *state_->result;
}

}  // namespace client_v1
}  // namespace confab
