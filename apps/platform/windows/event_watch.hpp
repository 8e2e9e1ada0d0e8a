// SPDX-License-Identifier: GPL-3.0-or-later
// TunDevice::watch() for a device that signals a Windows event when packets arrive (Wintun's read
// event, which fires only when the ring turns non-empty): the callback runs once at the start
// (packets may already be waiting), again from the loop while it returns true, and otherwise when
// the event is signalled. The event stays the caller's.
#pragma once
#include "tun_device.hpp"

#include <windows.h>

namespace udpvpn::app {

std::unique_ptr<ReadWatch> watch_event(asio::io_context& io, HANDLE event, TunDevice::OnReadable on_readable);

}  // namespace udpvpn::app
