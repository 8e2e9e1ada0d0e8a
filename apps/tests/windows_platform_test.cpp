// SPDX-License-Identifier: GPL-3.0-or-later
// Windows platform pieces of udpvpn-client, as far as wine can exercise them.
#include "dns_config.hpp"
#include "event_watch.hpp"
#include "host_network.hpp"
#include "tun_wintun.hpp"
#include "win_service.hpp"

#include <doctest/doctest.h>

#include <windows.h>

#include <chrono>

using namespace udpvpn::app;

TEST_CASE("without wintun.dll beside the exe the client says which file is missing and where to get it") {
    std::string error;
    auto dev = open_wintun("udpvpn-test", 1420, error);
    CHECK_FALSE(dev);
    const std::string expected_path = narrow(exe_directory()) + "wintun.dll";
    CHECK(error.find(expected_path) != std::string::npos);
    CHECK(error.find("https://www.wintun.net/") != std::string::npos);
    CHECK(error.find("next to udpvpn-client.exe") != std::string::npos);
}

TEST_CASE("install-service registers this exe with an absolute config path; uninstall-service removes it") {
    const std::string name = "udpvpn-test-" + std::to_string(GetCurrentProcessId());
    REQUIRE(winsvc::install(name, "client.toml") == "");
    const auto cmd = winsvc::command_line(name);
    REQUIRE(cmd);
    const std::string exe = narrow(exe_directory());
    CHECK(cmd->rfind("\"" + exe, 0) == 0);   // quoted: paths with spaces stay one argument
    CHECK(cmd->find("\" --service --config \"") != std::string::npos);
    CHECK(cmd->find(":\\") != std::string::npos);   // the config path was made absolute
    CHECK(cmd->find("client.toml\"") != std::string::npos);
    CHECK(winsvc::install(name, "client.toml") != "");   // already there: an error, not a duplicate
    CHECK(winsvc::uninstall(name) == "");
    CHECK_FALSE(winsvc::command_line(name));
    const std::string again = winsvc::uninstall(name);
    CHECK(again.find("opening service " + name) != std::string::npos);
}

TEST_CASE("IP Helper: a route lookup gives a route or says what failed; an unknown adapter is reported") {
    IpPrefix lo;
    lo.addr[0] = 127;
    lo.addr[3] = 1;
    lo.len = 32;
    std::string error;
    // Windows finds the loopback route; wine 8's GetBestRoute2 is a stub (ERROR_NOT_SUPPORTED):
    // either way the caller gets a route or a message that says what failed.
    const auto r = host_network::route_get(lo, error);
    if (r) CHECK(r->ifindex != 0);
    else CHECK(error.find("looking up the route to 127.0.0.1/32 failed (Windows error") == 0);
    CHECK(host_network::if_index("udpvpn-no-such-adapter") == 0);

    // (Adding addresses and routes is not tried here: wine 8 has no CreateUnicastIpAddressEntry
    // or CreateIpForwardEntry2, and they need an adapter; that part needs a real Windows machine.)
    IpPrefix a;
    a.addr = {10, 99, 0, 2};
    a.len = 24;
    DnsConfigurator dns;
    CHECK_FALSE(dns.apply("udpvpn-no-such-adapter", {a}, false));
    dns.revert();   // nothing applied: a no-op
}

TEST_CASE("the Wintun read watch: runs at once, again while packets remain, then waits for the event") {
    asio::io_context io;
    HANDLE event = CreateEventW(nullptr, FALSE, FALSE, nullptr);   // auto-reset, as Wintun's
    REQUIRE(event);
    int queued = 5;   // packets "in the ring"; the callback takes two per turn
    int calls = 0;
    auto watch = watch_event(io, event, [&] {
        ++calls;
        queued -= std::min(queued, 2);
        return queued > 0;   // stopped at its batch limit: more may be waiting
    });
    io.run_for(std::chrono::milliseconds(200));
    CHECK(queued == 0);   // drained without any signal: 2 + 2 + 1
    CHECK(calls == 3);

    queued = 1;   // a packet arrives: Wintun signals the event
    SetEvent(event);
    io.restart();
    io.run_for(std::chrono::milliseconds(500));
    CHECK(queued == 0);
    CHECK(calls == 4);

    watch.reset();   // no call after the watch is gone, even when signalled
    SetEvent(event);
    io.restart();
    io.run_for(std::chrono::milliseconds(200));
    CHECK(calls == 4);
    CloseHandle(event);
}
