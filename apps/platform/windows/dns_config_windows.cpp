// SPDX-License-Identifier: GPL-3.0-or-later
// The Windows side of dns_config.hpp: pushed DNS servers become the tunnel adapter's own DNS
// servers through SetInterfaceDnsSettings (Windows 10 2004 and later), looked up at run time so the
// client still starts on older systems (and under wine, which lacks it) and says so.
// `route_all`: the adapter gets interface metric 1, so Windows prefers its DNS servers.
#include "dns_config.hpp"
#include "log.hpp"

#include <winsock2.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

namespace udpvpn::app {
namespace {

// From netioapi.h of newer SDKs (absent from MinGW-w64 10).
struct DnsInterfaceSettings {
    ULONG Version;
    ULONG64 Flags;
    PWSTR Domain;
    PWSTR NameServer;
    PWSTR SearchList;
    ULONG RegistrationEnabled;
    ULONG RegisterAdapterName;
    ULONG EnableLLMNR;
    ULONG QueryAdapterName;
    PWSTR ProfileNameServer;
};
constexpr ULONG kDnsSettingsVersion1 = 1;
constexpr ULONG64 kDnsSettingIpv6 = 0x1, kDnsSettingNameServer = 0x2;
using SetInterfaceDnsSettingsFn = DWORD(WINAPI*)(GUID, const DnsInterfaceSettings*);

SetInterfaceDnsSettingsFn dns_api() {
    HMODULE iphlp = GetModuleHandleW(L"iphlpapi.dll");
    if (!iphlp) return nullptr;
    return reinterpret_cast<SetInterfaceDnsSettingsFn>(
        reinterpret_cast<void*>(GetProcAddress(iphlp, "SetInterfaceDnsSettings")));
}

bool adapter_ids(const std::string& device, NET_LUID& luid, GUID& guid) {
    const std::wstring w(device.begin(), device.end());
    return ConvertInterfaceAliasToLuid(w.c_str(), &luid) == NO_ERROR &&
           ConvertInterfaceLuidToGuid(&luid, &guid) == NO_ERROR;
}

DWORD set_servers(SetInterfaceDnsSettingsFn fn, const GUID& guid, bool v6, const std::wstring& list) {
    DnsInterfaceSettings s{};
    s.Version = kDnsSettingsVersion1;
    s.Flags = kDnsSettingNameServer | (v6 ? kDnsSettingIpv6 : 0);
    std::wstring copy = list;   // the API takes a non-const PWSTR
    s.NameServer = copy.data();
    return fn(guid, &s);
}

void set_metric(const NET_LUID& luid, bool automatic) {
    for (ADDRESS_FAMILY family : {AF_INET, AF_INET6}) {
        MIB_IPINTERFACE_ROW row;
        InitializeIpInterfaceEntry(&row);
        row.Family = family;
        row.InterfaceLuid = luid;
        if (GetIpInterfaceEntry(&row) != NO_ERROR) continue;
        row.UseAutomaticMetric = automatic;
        row.Metric = automatic ? 0 : 1;
        row.SitePrefixLength = 0;
        SetIpInterfaceEntry(&row);
    }
}

}  // namespace

bool DnsConfigurator::resolved_running() { return dns_api() != nullptr; }

bool DnsConfigurator::apply(const std::string& device, const std::vector<IpPrefix>& servers, bool route_all) {
    const auto fn = dns_api();
    if (!fn) {
        UVLOG_WARN("DNS servers pushed but not applied: SetInterfaceDnsSettings needs Windows 10 2004 or later");
        return false;
    }
    NET_LUID luid;
    GUID guid;
    if (!adapter_ids(device, luid, guid)) {
        UVLOG_WARN("DNS not applied: adapter %s not found", device.c_str());
        return false;
    }
    std::wstring v4, v6;
    for (const auto& s : servers) {
        const std::string t = to_string(s, false);
        std::wstring& list = s.v6 ? v6 : v4;
        if (!list.empty()) list += L',';
        list += std::wstring(t.begin(), t.end());
    }
    DWORD rc = NO_ERROR;
    if (!v4.empty()) rc = set_servers(fn, guid, false, v4);
    if (rc == NO_ERROR && !v6.empty()) rc = set_servers(fn, guid, true, v6);
    if (rc != NO_ERROR) {
        UVLOG_WARN("DNS not applied: SetInterfaceDnsSettings failed (Windows error %lu)", static_cast<unsigned long>(rc));
        return false;
    }
    if (route_all) set_metric(luid, false);
    applied_device_ = device;
    return true;
}

void DnsConfigurator::revert() {
    if (applied_device_.empty()) return;
    const auto fn = dns_api();
    NET_LUID luid;
    GUID guid;
    if (fn && adapter_ids(applied_device_, luid, guid)) {
        set_servers(fn, guid, false, L"");
        set_servers(fn, guid, true, L"");
        set_metric(luid, true);
    }
    applied_device_.clear();
}

}  // namespace udpvpn::app
