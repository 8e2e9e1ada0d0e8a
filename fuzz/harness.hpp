// SPDX-License-Identifier: GPL-3.0-or-later
// Entry points of every fuzz harness. Each harness_<target>.cpp defines run_<target>(); the libFuzzer
// executables call it from libfuzzer_main.cpp and the corpus replay test (replay_main.cpp, built
// with the normal compiler, suite 'unit') runs every file of fuzz/corpus/<target>/ through it, so
// corpora and crash reproducers stay regression tests. A harness aborts when an invariant breaks.
#pragma once
#include <cstddef>
#include <cstdint>

int run_c_abi(const std::uint8_t* data, std::size_t size);
int run_certificate(const std::uint8_t* data, std::size_t size);
int run_control_channel(const std::uint8_t* data, std::size_t size);
int run_data_packet(const std::uint8_t* data, std::size_t size);
int run_endpoint_initiator(const std::uint8_t* data, std::size_t size);
int run_endpoint_responder(const std::uint8_t* data, std::size_t size);
int run_handshake_server(const std::uint8_t* data, std::size_t size);
int run_inner_source(const std::uint8_t* data, std::size_t size);
int run_inner_packet(const std::uint8_t* data, std::size_t size);
int run_hdlc(const std::uint8_t* data, std::size_t size);
int run_status_socket(const std::uint8_t* data, std::size_t size);
int run_tun_offload(const std::uint8_t* data, std::size_t size);
int run_toml_config(const std::uint8_t* data, std::size_t size);
int run_wire_format(const std::uint8_t* data, std::size_t size);
