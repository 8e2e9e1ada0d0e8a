// SPDX-License-Identifier: GPL-3.0-or-later
// PppClient on POSIX: pppd on a pty (pppd_link.hpp).
#include "ppp_client.hpp"

#include "log.hpp"
#include "pppd_link.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace udpvpn::app {

struct PppClient::Impl {
    Impl(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks)
        : io(io), cfg(std::move(config)), hooks(std::move(hooks)) {
        link_cfg.pppd_path = cfg.pppd;
        link_cfg.decoder.mru = std::max<std::size_t>(max_frame, hdlc::kDefaultMru);
    }

    std::unique_ptr<PppdLink> make_link() {
        auto made = std::make_unique<PppdLink>(io, link_cfg);
        PppdLink* raw = made.get();
        made->on_frame([this](ByteView f) {
            if (hooks.send) hooks.send(f);
        });
        made->on_exit([this, raw](const PppdExit& e) {
            if (link.get() != raw) return;   // retired by session_down(): nothing to report
            retire();
            if (stop_done) {
                auto done = std::move(stop_done);
                stop_done = nullptr;
                done();
                return;
            }
            if (hooks.ended) hooks.ended(e);
        });
        return made;
    }

    void retire() {
        // Never destroyed inside its own callback: keep it alive until the next turn of the loop. A
        // still-running pppd (stop() just sent SIGTERM) is then reaped in the background.
        std::shared_ptr<PppdLink> holder(std::move(link));
        asio::post(io, [holder] {});
    }

    asio::io_context& io;
    PppConfig cfg;
    PppdLinkConfig link_cfg;
    Hooks hooks;
    std::unique_ptr<PppdLink> link;
    std::function<void()> stop_done;
};

PppClient::PppClient(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks)
    : impl_(std::make_unique<Impl>(io, std::move(config), max_frame, std::move(hooks))) {}

PppClient::~PppClient() = default;   // a running pppd is handed to the link's background reaper

bool PppClient::stdio() const noexcept { return impl_->cfg.stdio; }

void PppClient::start() {
    if (!impl_->cfg.stdio) return;
    impl_->link = impl_->make_link();
    const int in = ::dup(STDIN_FILENO), out = ::dup(STDOUT_FILENO);
    if (in < 0 || out < 0 || impl_->link->attach(in, out) != Error::ok)
        throw std::runtime_error(std::string("ppp.stdio: cannot use stdin/stdout: ") + std::strerror(errno));
    UVLOG_NOTICE("PPP on stdin/stdout (started by pppd)");
}

std::string PppClient::session_up(const std::string& server_identity) {
    if (impl_->cfg.stdio) return "";
    session_down();
    impl_->link = impl_->make_link();
    std::vector<std::string> args = impl_->cfg.args;
    if (impl_->link->start(server_identity, impl_->cfg.options, args) != Error::ok) {
        const int e = errno;
        impl_->link.reset();
        return std::string("cannot start pppd: ") + std::strerror(e);
    }
    UVLOG_INFO("pppd pid %d on %s", impl_->link->pid(), impl_->link->pty_name().c_str());
    return "";
}

void PppClient::session_down() {
    if (impl_->cfg.stdio || !impl_->link) return;
    impl_->link->stop();
    impl_->retire();
}

void PppClient::deliver(ByteView frame) {
    if (impl_->link) impl_->link->write_frame(frame);
}

void PppClient::stop(std::function<void()> done) {
    if (!impl_->link) {
        done();
        return;
    }
    impl_->stop_done = std::move(done);
    impl_->link->stop();   // on_exit follows (pppd reaped, or the stdio link closed)
}

}  // namespace udpvpn::app
