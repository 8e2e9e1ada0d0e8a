// SPDX-License-Identifier: GPL-3.0-or-later
#include "ppp_sessions.hpp"

#include "log.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <cstring>

namespace udpvpn::app {

PppSessions::PppSessions(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks)
    : io_(io), cfg_(std::move(config)), hooks_(std::move(hooks)) {
    link_cfg_.pppd_path = cfg_.pppd;
    link_cfg_.decoder.mru = std::max<std::size_t>(max_frame, hdlc::kDefaultMru);
}

PppSessions::~PppSessions() {
    // Destroying a running link hands its pppd to a background reaper (SIGTERM, then SIGKILL).
    links_.clear();
    stopping_.clear();
}

std::string PppSessions::open(SessionId sid, const std::string& identity, const std::string& addresses) {
    if (links_.count(sid)) return "a pppd already runs for this session";
    auto link = std::make_unique<PppdLink>(io_, link_cfg_);
    PppdLink* raw = link.get();
    link->on_frame([this, sid](ByteView f) { hooks_.send(sid, f); });
    link->on_exit([this, sid, raw](const PppdExit& e) { on_exit(sid, raw, e); });
    std::vector<std::string> args;
    if (!addresses.empty()) args.push_back(addresses);
    args.insert(args.end(), cfg_.args.begin(), cfg_.args.end());
    const Error err = link->start(identity, cfg_.options, args);
    if (err != Error::ok) {
        const int e = errno;
        return err == Error::invalid_argument ? "the certificate name cannot be passed to pppd (control characters)"
                                              : std::string("cannot start pppd: ") + std::strerror(e);
    }
    UVLOG_INFO("client %s: pppd pid %d on %s%s%s", identity.c_str(), link->pid(), link->pty_name().c_str(),
               addresses.empty() ? "" : ", addresses ", addresses.c_str());
    links_[sid] = Entry{std::move(link), identity};
    return "";
}

void PppSessions::deliver(SessionId sid, ByteView frame) {
    auto it = links_.find(sid);
    if (it != links_.end()) it->second.link->write_frame(frame);
}

void PppSessions::close(SessionId sid) {
    auto it = links_.find(sid);
    if (it == links_.end()) return;
    Entry e = std::move(it->second);
    links_.erase(it);
    PppdLink* raw = e.link.get();
    stopping_[raw] = std::move(e);   // until pppd is reaped (on_exit with requested = true)
    raw->stop();
}

void PppSessions::close_all() {
    std::vector<SessionId> sids;
    for (const auto& [sid, _] : links_) sids.push_back(sid);
    for (const SessionId s : sids) close(s);
}

pid_t PppSessions::pid(SessionId sid) const {
    auto it = links_.find(sid);
    return it == links_.end() ? -1 : it->second.link->pid();
}

void PppSessions::on_exit(SessionId sid, PppdLink* link, const PppdExit& e) {
    if (auto st = stopping_.find(link); st != stopping_.end()) {
        UVLOG_INFO("client %s: %s", st->second.identity.c_str(), e.reason.c_str());
        dispose(std::move(st->second.link));
        stopping_.erase(st);
        return;
    }
    auto it = links_.find(sid);
    if (it == links_.end() || it->second.link.get() != link) return;
    Entry entry = std::move(it->second);
    links_.erase(it);
    UVLOG_NOTICE("client %s: %s: closing the session", entry.identity.c_str(), e.reason.c_str());
    dispose(std::move(entry.link));
    if (hooks_.close) hooks_.close(sid, e.reason);
}

void PppSessions::dispose(std::unique_ptr<PppdLink> link) {
    // Not inside the link's own callback: destroy it on the next turn of the loop.
    std::shared_ptr<PppdLink> holder(std::move(link));
    asio::post(io_, [holder] {});
}

}  // namespace udpvpn::app
