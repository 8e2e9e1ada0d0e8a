// SPDX-License-Identifier: GPL-3.0-or-later
#include "win_service.hpp"
#include "wintun_api.hpp"   // widen, narrow, win_error_text

#include <windows.h>

#include <memory>
#include <mutex>
#include <vector>

namespace udpvpn::app::winsvc {
namespace {

struct ScHandle {
    SC_HANDLE h = nullptr;
    explicit ScHandle(SC_HANDLE handle) : h(handle) {}
    ~ScHandle() { if (h) CloseServiceHandle(h); }
    ScHandle(const ScHandle&) = delete;
    ScHandle& operator=(const ScHandle&) = delete;
    explicit operator bool() const { return h != nullptr; }
};

std::string fail(const std::string& what) { return what + ": " + win_error_text(GetLastError()); }

std::wstring exe_path() {
    std::wstring path(32768, L'\0');
    const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    path.resize(n);
    return path;
}

std::wstring full_path(const std::string& p) {
    const std::wstring w = widen(p);
    std::wstring out(32768, L'\0');
    const DWORD n = GetFullPathNameW(w.c_str(), static_cast<DWORD>(out.size()), out.data(), nullptr);
    if (n == 0 || n >= out.size()) return w;
    out.resize(n);
    return out;
}

// The one service of this process (ServiceMain has no context argument).
struct Running {
    std::wstring name;
    ServiceBody body;
    SERVICE_STATUS_HANDLE status_handle = nullptr;
    SERVICE_STATUS status{};
    std::mutex mu;
    std::function<void()> stop;
    bool stop_requested = false;
    int exit_code = 0;
};
Running* g_running = nullptr;

void report(DWORD state, DWORD exit_code = NO_ERROR) {
    Running& r = *g_running;
    r.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    r.status.dwCurrentState = state;
    r.status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    r.status.dwWin32ExitCode = exit_code == NO_ERROR ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    r.status.dwServiceSpecificExitCode = exit_code;
    r.status.dwWaitHint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : 10000;
    SetServiceStatus(r.status_handle, &r.status);
}

DWORD WINAPI control_handler(DWORD control, DWORD, LPVOID, LPVOID) {
    if (control != SERVICE_CONTROL_STOP && control != SERVICE_CONTROL_SHUTDOWN)
        return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
    std::function<void()> stop;
    {
        std::lock_guard<std::mutex> lock(g_running->mu);
        g_running->stop_requested = true;
        stop = g_running->stop;
    }
    report(SERVICE_STOP_PENDING);
    if (stop) stop();
    return NO_ERROR;
}

void WINAPI service_main(DWORD, LPWSTR*) {
    Running& r = *g_running;
    r.status_handle = RegisterServiceCtrlHandlerExW(r.name.c_str(), control_handler, nullptr);
    if (!r.status_handle) return;
    report(SERVICE_RUNNING);
    const StopRegistrar registrar = [&r](std::function<void()> stop) {
        bool already = false;
        {
            std::lock_guard<std::mutex> lock(r.mu);
            r.stop = stop;
            already = r.stop_requested;
        }
        if (already && stop) stop();   // a stop arrived before the body was ready for it
    };
    r.exit_code = r.body(registrar);
    report(SERVICE_STOPPED, static_cast<DWORD>(r.exit_code));
}

}  // namespace

std::string install(const std::string& name, const std::string& config_path) {
    ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
    if (!scm) return fail("opening the service manager (run as Administrator)");
    const std::wstring cmd = L"\"" + exe_path() + L"\" --service --config \"" + full_path(config_path) + L"\"";
    const std::wstring wname = widen(name);
    // Tcpip and Nsi: the IP stack and IP Helper's store must be up before we configure addresses.
    static const wchar_t deps[] = L"Nsi\0Tcpip\0";
    ScHandle svc(CreateServiceW(scm.h, wname.c_str(), L"udpvpn VPN client", SERVICE_ALL_ACCESS,
                                SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd.c_str(),
                                nullptr, nullptr, deps, nullptr /* LocalSystem */, nullptr));
    if (!svc) return fail("creating service " + name);
    std::wstring desc = L"Keeps the udpvpn tunnel up (configuration: " + full_path(config_path) + L")";
    SERVICE_DESCRIPTIONW d{desc.data()};
    ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DESCRIPTION, &d);
    // Restart after 5 s, 30 s, then every minute; forget failures after a day.
    SC_ACTION actions[3] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000}, {SC_ACTION_RESTART, 60000}};
    SERVICE_FAILURE_ACTIONSW fa{};
    fa.dwResetPeriod = 86400;
    fa.cActions = 3;
    fa.lpsaActions = actions;
    ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS, &fa);
    // Also when the client stops itself with an error rather than crashing: at boot the Wintun
    // driver or the drive holding the configuration may not be ready yet; a later try succeeds.
    SERVICE_FAILURE_ACTIONS_FLAG on_error{TRUE};
    ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_error);
    return "";
}

std::string uninstall(const std::string& name) {
    ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm) return fail("opening the service manager (run as Administrator)");
    ScHandle svc(OpenServiceW(scm.h, widen(name).c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
    if (!svc) return fail("opening service " + name);
    SERVICE_STATUS st{};
    if (ControlService(svc.h, SERVICE_CONTROL_STOP, &st)) {
        for (int i = 0; i < 100 && QueryServiceStatus(svc.h, &st) && st.dwCurrentState != SERVICE_STOPPED; ++i)
            Sleep(100);   // up to 10 s for the tunnel to be taken down cleanly
    }
    if (!DeleteService(svc.h)) return fail("deleting service " + name);
    return "";
}

std::optional<std::string> command_line(const std::string& name) {
    ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm) return std::nullopt;
    ScHandle svc(OpenServiceW(scm.h, widen(name).c_str(), SERVICE_QUERY_CONFIG));
    if (!svc) return std::nullopt;
    DWORD need = 0;
    QueryServiceConfigW(svc.h, nullptr, 0, &need);
    std::vector<unsigned char> buf(need);
    auto* cfg = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
    if (need == 0 || !QueryServiceConfigW(svc.h, cfg, need, &need) || !cfg->lpBinaryPathName) return std::nullopt;
    return narrow(cfg->lpBinaryPathName);
}

int run(const std::string& name, ServiceBody body, std::string& error) {
    auto running = std::make_unique<Running>();
    running->name = widen(name);
    running->body = std::move(body);
    g_running = running.get();
    SERVICE_TABLE_ENTRYW table[] = {{running->name.data(), service_main}, {nullptr, nullptr}};
    if (!StartServiceCtrlDispatcherW(table)) {
        error = GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
                    ? "--service is for the Service Control Manager; run without it for a console session"
                    : fail("starting the service dispatcher");
        g_running = nullptr;
        return -1;
    }
    g_running = nullptr;
    return running->exit_code;
}

}  // namespace udpvpn::app::winsvc
