// SPDX-License-Identifier: GPL-3.0-or-later
#include <doctest/doctest.h>
#include <udpvpn/error.hpp>

#include <set>
#include <string>

using namespace udpvpn;

TEST_CASE("errors are grouped by what the caller must do") {
    CHECK(error_class(Error::ok) == ErrorClass::none);
    CHECK(error_class(Error::bad_tag) == ErrorClass::drop);
    CHECK(error_class(Error::replayed) == ErrorClass::drop);
    CHECK(error_class(Error::cert_revoked) == ErrorClass::close);
    CHECK(error_class(Error::handshake_timeout) == ErrorClass::close);
    CHECK(error_class(Error::buffer_too_small) == ErrorClass::misuse);
}

TEST_CASE("every certificate error has its own name") {
    std::set<std::string> names;
    for (Error e : {Error::cert_expired, Error::cert_not_yet_valid, Error::cert_unknown_ca, Error::cert_revoked,
                    Error::crl_expired, Error::cert_wrong_purpose, Error::cert_name_mismatch, Error::bad_signature})
        names.insert(to_string(e));
    CHECK(names.size() == 8);
}
