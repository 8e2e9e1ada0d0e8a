// SPDX-License-Identifier: GPL-3.0-or-later
// PppClient where there is no pppd (Windows): PPP mode is refused at start-up with a message the
// user can act on; nothing else of it is ever reached.
#include "ppp_client.hpp"

#include <stdexcept>

namespace udpvpn::app {

struct PppClient::Impl {};

PppClient::PppClient(asio::io_context&, PppConfig, std::size_t, Hooks) {
    throw std::runtime_error("tunnel.mode = \"ppp\" needs pppd, which this platform does not have: use tunnel.mode = \"ip\"");
}
PppClient::~PppClient() = default;
bool PppClient::stdio() const noexcept { return false; }
void PppClient::start() {}
std::string PppClient::session_up(const std::string&) { return "PPP mode is not available on this platform"; }
void PppClient::session_down() {}
void PppClient::deliver(ByteView) {}
void PppClient::stop(std::function<void()> done) { done(); }

}  // namespace udpvpn::app
