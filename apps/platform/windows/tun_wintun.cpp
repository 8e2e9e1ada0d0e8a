// SPDX-License-Identifier: GPL-3.0-or-later
// The Windows tunnel device: a Wintun adapter (layer 3, raw IPv4/IPv6 packets, as a Linux TUN
// device with IFF_NO_PI). Packets move through Wintun's shared-memory rings; the session's read
// event is signalled when the receive ring has something.
#include "tun_wintun.hpp"

#include "event_watch.hpp"

#include <winsock2.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <cstring>

namespace udpvpn::app {
namespace {

// 4 MiB of ring each way: room for ~3000 full-size packets while the event loop is busy.
constexpr DWORD kRingCapacity = 0x400000;
static_assert(kRingCapacity >= kWintunMinRing && kRingCapacity <= kWintunMaxRing);

// Our adapters share one GUID per name so Windows keeps the adapter's settings (firewall profile,
// metrics) from one run to the next instead of creating "udpvpn 2", "udpvpn 3", ...
GUID adapter_guid(const std::wstring& name) {
    GUID g{0x8f3a1c27, 0x5b0e, 0x4d6a, {0x9e, 0x21, 0, 0, 0, 0, 0, 0}};
    std::uint32_t h = 2166136261u;   // FNV-1a of the name into the last six bytes
    for (wchar_t c : name) h = (h ^ static_cast<std::uint32_t>(c)) * 16777619u;
    std::memcpy(g.Data4 + 2, &h, 4);
    return g;
}

class WintunDeviceImpl final : public TunDevice {
public:
    WintunDeviceImpl(WintunApi api, WintunAdapter adapter, WintunSession session, std::string name, std::uint16_t mtu)
        : api_(api), adapter_(adapter), session_(session), name_(std::move(name)), mtu_(mtu) {}
    ~WintunDeviceImpl() override {
        api_.EndSession(session_);
        api_.CloseAdapter(adapter_);   // removes the adapter, and with it our addresses and routes
        FreeLibrary(api_.dll);
    }
    const std::string& name() const noexcept override { return name_; }
    std::unique_ptr<ReadWatch> watch(asio::io_context& io, OnReadable on_readable) override {
        return watch_event(io, api_.GetReadWaitEvent(session_), std::move(on_readable));
    }

    long read(MutableByteView out) noexcept override {
        for (;;) {
            DWORD size = 0;
            BYTE* p = api_.ReceivePacket(session_, &size);
            if (!p) {
                const DWORD e = GetLastError();
                if (e == ERROR_NO_MORE_ITEMS) return 0;
                return -1;   // ERROR_HANDLE_EOF: the adapter went away; ERROR_INVALID_DATA: ring corrupt
            }
            if (size > out.size()) {   // larger than our buffer (MTU changed under us): drop it
                api_.ReleaseReceivePacket(session_, p);
                continue;
            }
            std::memcpy(out.data(), p, size);
            api_.ReleaseReceivePacket(session_, p);
            return static_cast<long>(size);
        }
    }

    bool write(ByteView packet) noexcept override {
        if (packet.empty() || packet.size() > 0xFFFF) return false;
        BYTE* p = api_.AllocateSendPacket(session_, static_cast<DWORD>(packet.size()));
        if (!p) return false;   // ERROR_BUFFER_OVERFLOW: ring full, dropped as a router would
        std::memcpy(p, packet.data(), packet.size());
        api_.SendPacket(session_, p);
        return true;
    }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t m) noexcept override { mtu_ = m; }

private:
    WintunApi api_;
    WintunAdapter adapter_;
    WintunSession session_;
    std::string name_;
    std::uint16_t mtu_;
};

// The name Windows actually gave the adapter: it may differ from the one asked for (a stale
// adapter of that name left by a crash makes it "udpvpn 2"), and IP Helper and the DNS settings
// find the adapter by this alias.
std::string interface_alias(const WintunApi& api, WintunAdapter adapter, const std::wstring& requested) {
    NET_LUID luid{};
    api.GetAdapterLUID(adapter, &luid);
    wchar_t alias[IF_MAX_STRING_SIZE + 1] = {};
    if (ConvertInterfaceLuidToAlias(&luid, alias, IF_MAX_STRING_SIZE + 1) != NO_ERROR) return narrow(requested);
    return narrow(alias);
}

}  // namespace

std::unique_ptr<TunDevice> open_wintun(const std::string& name, std::uint16_t mtu, std::string& error) {
    WintunApi api;
    if (!load_wintun(api, error)) return nullptr;
    // Linux's "udpvpn%d" template (the shared default of tunnel.device) means "udpvpn" here:
    // Windows names adapters itself only through the GUID, which adapter_guid() keeps stable.
    std::string plain = name;
    if (const auto at = plain.find("%d"); at != std::string::npos) plain.erase(at, 2);
    const std::wstring wname = widen(plain.empty() ? std::string("udpvpn") : plain);
    const GUID guid = adapter_guid(wname);
    WintunAdapter adapter = api.CreateAdapter(wname.c_str(), L"udpvpn", &guid);
    if (!adapter) {
        const DWORD e = GetLastError();
        error = "cannot create Wintun adapter \"" + narrow(wname) + "\": " + win_error_text(e) +
                (e == ERROR_ACCESS_DENIED ? " (run as Administrator or as the service)" : "");
        FreeLibrary(api.dll);
        return nullptr;
    }
    WintunSession session = api.StartSession(adapter, kRingCapacity);
    if (!session) {
        error = "cannot start a Wintun session on \"" + narrow(wname) + "\": " + win_error_text(GetLastError());
        api.CloseAdapter(adapter);
        FreeLibrary(api.dll);
        return nullptr;
    }
    return std::make_unique<WintunDeviceImpl>(api, adapter, session, interface_alias(api, adapter, wname), mtu);
}

}  // namespace udpvpn::app

namespace udpvpn::app {

// Wintun creates or reuses an adapter of that name: no name is taken by another kind of interface.
std::string tun_name_problem(const std::string&) { return ""; }

std::vector<std::unique_ptr<TunDevice>> open_system_tun_queues(const std::string&, std::uint16_t, bool, unsigned,
                                                               std::string& error) {
    error = "a tunnel device with several queues needs Linux";
    return {};
}

std::unique_ptr<TunDevice> open_system_tun(const std::string& name, std::uint16_t mtu, bool /*offloads*/,
                                           std::string& error) {
    return open_wintun(name, mtu, error);
}

}  // namespace udpvpn::app
