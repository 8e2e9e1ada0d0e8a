// SPDX-License-Identifier: GPL-3.0-or-later
#include "handoff_queue.hpp"

namespace udpvpn::app {

HandoffQueue::Pushed HandoffQueue::push(SessionId session, InnerProtocol protocol, Origin origin, ByteView packet) {
    std::lock_guard lock(mutex_);
    if (queued_bytes_.size() + packet.size() > max_bytes_) return Pushed::full;
    const bool first = queued_.empty();
    queued_.push_back(Entry{session, protocol, origin, queued_bytes_.size(), packet.size()});
    queued_bytes_.insert(queued_bytes_.end(), packet.begin(), packet.end());
    return first ? Pushed::queued_first : Pushed::queued;
}

}  // namespace udpvpn::app
