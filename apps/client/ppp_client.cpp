// SPDX-License-Identifier: GPL-3.0-or-later
#include "ppp_client.hpp"

#include "log.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace udpvpn::app {

PppClient::PppClient(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks)
    : io_(io), cfg_(std::move(config)), hooks_(std::move(hooks)) {
    link_cfg_.pppd_path = cfg_.pppd;
    link_cfg_.decoder.mru = std::max<std::size_t>(max_frame, hdlc::kDefaultMru);
}

PppClient::~PppClient() = default;   // a running pppd is handed to the link's background reaper

std::unique_ptr<PppdLink> PppClient::make_link() {
    auto link = std::make_unique<PppdLink>(io_, link_cfg_);
    PppdLink* raw = link.get();
    link->on_frame([this](ByteView f) {
        if (hooks_.send) hooks_.send(f);
    });
    link->on_exit([this, raw](const PppdExit& e) {
        if (link_.get() != raw) return;   // retired by session_down(): nothing to report
        retire();
        if (stop_done_) {
            auto done = std::move(stop_done_);
            stop_done_ = nullptr;
            done();
            return;
        }
        if (hooks_.ended) hooks_.ended(e);
    });
    return link;
}

void PppClient::start() {
    if (!cfg_.stdio) return;
    link_ = make_link();
    const int in = ::dup(STDIN_FILENO), out = ::dup(STDOUT_FILENO);
    if (in < 0 || out < 0 || link_->attach(in, out) != Error::ok)
        throw std::runtime_error(std::string("ppp.stdio: cannot use stdin/stdout: ") + std::strerror(errno));
    UVLOG_NOTICE("PPP on stdin/stdout (started by pppd)");
}

std::string PppClient::session_up(const std::string& server_identity) {
    if (cfg_.stdio) return "";
    session_down();
    link_ = make_link();
    std::vector<std::string> args = cfg_.args;
    if (link_->start(server_identity, cfg_.options, args) != Error::ok) {
        const int e = errno;
        link_.reset();
        return std::string("cannot start pppd: ") + std::strerror(e);
    }
    UVLOG_INFO("pppd pid %d on %s", link_->pid(), link_->pty_name().c_str());
    return "";
}

void PppClient::session_down() {
    if (cfg_.stdio || !link_) return;
    link_->stop();
    retire();
}

void PppClient::deliver(ByteView frame) {
    if (link_) link_->write_frame(frame);
}

void PppClient::stop(std::function<void()> done) {
    if (!link_) {
        done();
        return;
    }
    stop_done_ = std::move(done);
    link_->stop();   // on_exit follows (pppd reaped, or the stdio link closed)
}

void PppClient::retire() {
    // Never destroyed inside its own callback: keep it alive until the next turn of the loop. A
    // still-running pppd (stop() just sent SIGTERM) is then reaped in the background.
    std::shared_ptr<PppdLink> holder(std::move(link_));
    asio::post(io_, [holder] {});
}

}  // namespace udpvpn::app
