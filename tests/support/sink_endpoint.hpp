// SPDX-License-Identifier: GPL-3.0-or-later
// A host on the simulated network that only receives and never answers: a victim whose address is
// spoofed, or a server that died. It counts what reaches it.
#pragma once

#include <udpvpn/endpoint.hpp>

namespace udpvpn::sim {

class SinkEndpoint final : public Endpoint {
public:
    std::uint64_t bytes = 0, datagrams = 0;

    Result<SessionId> connect(TimeNs) override { return {0, Error::invalid_state}; }
    Received receive(TimeNs, const PeerAddress&, MutableByteView d) override {
        bytes += d.size();
        ++datagrams;
        return {};
    }
    Sealed seal(TimeNs, SessionId, InnerProtocol, ByteView, MutableByteView) override { return {Error::not_found, 0, {}}; }
    Result<std::size_t> poll_datagram(MutableByteView, PeerAddress&) override { return {0, Error::ok}; }
    std::optional<Event> poll_event() override { return std::nullopt; }
    Result<InnerPacket> poll_inner(MutableByteView) override { return {{}, Error::ok}; }
    TimeNs next_deadline() const override { return kNever; }
    void handle_timeout(TimeNs) override {}
    Error push_config(TimeNs, SessionId, const ConfigPush&) override { return Error::not_found; }
    Error ping(TimeNs, SessionId, std::uint64_t) override { return Error::not_found; }
    Error close(TimeNs, SessionId, Error, std::string_view) override { return Error::not_found; }
    Error rekey(TimeNs, SessionId) override { return Error::not_found; }
    void reverify_certificates(TimeNs) override {}
    void set_verifier(TimeNs, std::shared_ptr<const CertificateVerifier>) override {}
    std::optional<SessionInfo> session_info(SessionId) const override { return std::nullopt; }
    std::vector<SessionId> sessions() const override { return {}; }
    const EndpointStats& stats() const override { return stats_; }

private:
    EndpointStats stats_;
};

}  // namespace udpvpn::sim
