// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake_stream.hpp"

#include <algorithm>

namespace udpvpn {

// --- RangeSet ------------------------------------------------------------------------------------

bool RangeSet::add(std::uint32_t start, std::uint32_t end) noexcept {
    if (start >= end) return true;
    // First range that touches or follows [start, end): r.end >= start.
    std::size_t i = 0;
    while (i < n_ && r_[i].end < start) ++i;
    // Ranges i..j-1 touch or overlap [start, end): r.start <= end.
    std::size_t j = i;
    while (j < n_ && r_[j].start <= end) ++j;
    if (i == j) {   // no overlap: insert a new range at i
        if (n_ == r_.size()) return false;
        for (std::size_t k = n_; k > i; --k) r_[k] = r_[k - 1];
        r_[i] = {start, end};
        ++n_;
        return true;
    }
    const ByteRange merged{std::min(start, r_[i].start), std::max(end, r_[j - 1].end)};
    r_[i] = merged;
    const std::size_t removed = j - i - 1;
    for (std::size_t k = i + 1; k + removed < n_; ++k) r_[k] = r_[k + removed];
    n_ -= removed;
    return true;
}

bool RangeSet::contains(std::uint32_t start, std::uint32_t end) const noexcept {
    if (start >= end) return true;
    for (std::size_t i = 0; i < n_; ++i)
        if (r_[i].start <= start && end <= r_[i].end) return true;
    return false;
}

ByteRange RangeSet::next_gap(std::uint32_t pos, std::uint32_t limit) const noexcept {
    for (std::size_t i = 0; i < n_ && pos < limit; ++i) {
        if (r_[i].end <= pos) continue;
        if (r_[i].start <= pos) { pos = r_[i].end; continue; }
        return {pos, std::min(r_[i].start, limit)};
    }
    return {std::min(pos, limit), limit};
}

// --- SendStream ----------------------------------------------------------------------------------

Error SendStream::append(ByteView bytes) {
    if (data_.size() + bytes.size() > kMaxStreamSize) return Error::invalid_argument;
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    return Error::ok;
}

bool SendStream::has_pending() const noexcept {
    const auto size = static_cast<std::uint32_t>(data_.size());
    const ByteRange gap = acked_.next_gap(cursor_, size);
    return gap.start < gap.end;
}

bool SendStream::write_frag(Writer& w, std::size_t room) noexcept {
    room = std::min(room, w.remaining());
    if (room < kFragOverhead + 1) return false;
    const auto size = static_cast<std::uint32_t>(data_.size());
    const ByteRange gap = acked_.next_gap(cursor_, size);
    if (gap.start >= gap.end) {
        cursor_ = size;
        return false;
    }
    const std::size_t n = std::min<std::size_t>({gap.end - gap.start, room - kFragOverhead, 0xFFFF});
    udpvpn::write_frag(w, gap.start, ByteView(data_).subspan(gap.start, n));
    cursor_ = gap.start + static_cast<std::uint32_t>(n);
    return true;
}

bool SendStream::on_ack(std::span<const ByteRange> ranges) noexcept {
    const std::uint32_t before = acked_.prefix_end();
    const std::size_t before_n = acked_.size();
    bool progress = false;
    const auto size = static_cast<std::uint32_t>(data_.size());
    for (const ByteRange& r : ranges) {
        const std::uint32_t end = std::min(r.end, size);
        if (r.start >= end || acked_.contains(r.start, end)) continue;
        if (acked_.add(r.start, end)) progress = true;   // a 17th range is ignored: resent, harmless
    }
    return progress || acked_.prefix_end() != before || acked_.size() != before_n;
}

// --- RecvStream ----------------------------------------------------------------------------------

Error RecvStream::on_frag(std::uint32_t offset, ByteView data) {
    const std::uint64_t end = std::uint64_t{offset} + data.size();
    if (end > kMaxStreamSize) return Error::protocol_violation;
    if (data.empty()) return Error::ok;
    const auto e32 = static_cast<std::uint32_t>(end);
    if (received_.contains(offset, e32)) return Error::ok;   // a retransmission we already have
    RangeSet trial = received_;
    if (!trial.add(offset, e32)) return Error::ok;           // would be a 17th range: drop, unacked
    if (buf_.size() < end) buf_.resize(end);
    // Only fill gaps: bytes already received (and maybe already parsed) never change.
    std::uint32_t pos = offset;
    while (pos < e32) {
        const ByteRange gap = received_.next_gap(pos, e32);
        if (gap.start >= gap.end) break;
        std::memcpy(buf_.data() + gap.start, data.data() + (gap.start - offset), gap.end - gap.start);
        pos = gap.end;
    }
    received_ = trial;
    return Error::ok;
}

std::span<const ByteRange> RecvStream::ack_ranges() const noexcept {
    auto r = received_.ranges();
    return r.first(std::min(r.size(), kMaxAckRanges));
}

}  // namespace udpvpn
