// SPDX-License-Identifier: GPL-3.0-or-later
// The Wintun driver's API (https://www.wintun.net, wintun.h, API version 0.14), loaded at run time
// from wintun.dll beside the executable: the DLL is not in Windows and not ours to ship inside
// the .exe, and a client without it must still start far enough to say what is missing.
#pragma once
#include <windows.h>
#include <ifdef.h>

#include <string>

namespace udpvpn::app {

using WintunAdapter = struct WintunAdapterTag*;
using WintunSession = struct WintunSessionTag*;

struct WintunApi {
    HMODULE dll = nullptr;
    WintunAdapter(WINAPI* CreateAdapter)(LPCWSTR name, LPCWSTR tunnel_type, const GUID* requested) = nullptr;
    WintunAdapter(WINAPI* OpenAdapter)(LPCWSTR name) = nullptr;
    void(WINAPI* CloseAdapter)(WintunAdapter) = nullptr;
    void(WINAPI* GetAdapterLUID)(WintunAdapter, NET_LUID*) = nullptr;
    DWORD(WINAPI* GetRunningDriverVersion)() = nullptr;
    WintunSession(WINAPI* StartSession)(WintunAdapter, DWORD capacity) = nullptr;
    void(WINAPI* EndSession)(WintunSession) = nullptr;
    HANDLE(WINAPI* GetReadWaitEvent)(WintunSession) = nullptr;
    BYTE*(WINAPI* ReceivePacket)(WintunSession, DWORD* size) = nullptr;
    void(WINAPI* ReleaseReceivePacket)(WintunSession, const BYTE*) = nullptr;
    BYTE*(WINAPI* AllocateSendPacket)(WintunSession, DWORD size) = nullptr;
    void(WINAPI* SendPacket)(WintunSession, const BYTE*) = nullptr;
};

// Ring capacity bounds from wintun.h.
inline constexpr DWORD kWintunMinRing = 0x20000, kWintunMaxRing = 0x4000000;

// Loads wintun.dll from the directory of this executable only (never the search path: a DLL planted
// in the working directory must not be picked up by a client that runs elevated). On failure returns
// false and an `error` that says which file is missing and where to get it.
bool load_wintun(WintunApi& api, std::string& error);

// Directory of the running executable, with a trailing backslash.
std::wstring exe_directory();

std::wstring widen(const std::string& utf8);
std::string narrow(const std::wstring& wide);
std::string win_error_text(DWORD code);   // "text (code N)"

}  // namespace udpvpn::app
