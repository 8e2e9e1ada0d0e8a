// SPDX-License-Identifier: GPL-3.0-or-later
#include "wintun_api.hpp"

namespace udpvpn::app {

std::wstring widen(const std::string& s) {
    if (s.empty()) return {};
    const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring w(static_cast<std::size_t>(n > 0 ? n : 0), L'\0');
    if (n > 0) MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
    return w;
}

std::string narrow(const std::wstring& w) {
    if (w.empty()) return {};
    const int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
    std::string s(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
    if (n > 0) WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), s.data(), n, nullptr, nullptr);
    return s;
}

std::string win_error_text(DWORD code) {
    wchar_t* buf = nullptr;
    const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                       FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, code, 0, reinterpret_cast<LPWSTR>(&buf), 0, nullptr);
    std::string text = n && buf ? narrow(std::wstring(buf, n)) : std::string("unknown error");
    if (buf) LocalFree(buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    return text + " (code " + std::to_string(code) + ")";
}

std::wstring exe_directory() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n == 0) return {};
        if (n < path.size()) { path.resize(n); break; }
        path.resize(path.size() * 2);   // long path: grow and retry
    }
    const auto slash = path.find_last_of(L"\\/");
    return slash == std::wstring::npos ? std::wstring() : path.substr(0, slash + 1);
}

namespace {
template <typename F>
bool bind(HMODULE dll, F& fn, const char* name, std::string& missing) {
    // GetProcAddress returns a generic FARPROC; the signature is wintun.h's.
    fn = reinterpret_cast<F>(reinterpret_cast<void*>(GetProcAddress(dll, name)));
    if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
    return fn != nullptr;
}
}  // namespace

bool load_wintun(WintunApi& api, std::string& error) {
    const std::wstring path = exe_directory() + L"wintun.dll";
    // A full path plus LOAD_LIBRARY_SEARCH_SYSTEM32 for wintun.dll's own imports: nothing is taken
    // from the current directory or PATH.
    HMODULE dll = LoadLibraryExW(path.c_str(), nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32 | LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR);
    if (!dll) {
        const DWORD code = GetLastError();
        error = "cannot load " + narrow(path) + ": " + win_error_text(code) +
                ". The Windows client needs the Wintun driver DLL: download wintun-0.14.1.zip from "
                "https://www.wintun.net/ and copy bin\\amd64\\wintun.dll next to udpvpn-client.exe";
        return false;
    }
    std::string missing;
    bind(dll, api.CreateAdapter, "WintunCreateAdapter", missing);
    bind(dll, api.OpenAdapter, "WintunOpenAdapter", missing);
    bind(dll, api.CloseAdapter, "WintunCloseAdapter", missing);
    bind(dll, api.GetAdapterLUID, "WintunGetAdapterLUID", missing);
    bind(dll, api.GetRunningDriverVersion, "WintunGetRunningDriverVersion", missing);
    bind(dll, api.StartSession, "WintunStartSession", missing);
    bind(dll, api.EndSession, "WintunEndSession", missing);
    bind(dll, api.GetReadWaitEvent, "WintunGetReadWaitEvent", missing);
    bind(dll, api.ReceivePacket, "WintunReceivePacket", missing);
    bind(dll, api.ReleaseReceivePacket, "WintunReleaseReceivePacket", missing);
    bind(dll, api.AllocateSendPacket, "WintunAllocateSendPacket", missing);
    bind(dll, api.SendPacket, "WintunSendPacket", missing);
    if (!missing.empty()) {
        FreeLibrary(dll);
        error = narrow(path) + " is not a usable Wintun DLL (0.14 or later needed): missing " + missing;
        return false;
    }
    api.dll = dll;
    return true;
}

}  // namespace udpvpn::app
