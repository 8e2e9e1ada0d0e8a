// SPDX-License-Identifier: GPL-3.0-or-later
#include "json_writer.hpp"

#include <doctest/doctest.h>

using namespace udpvpn::app;

TEST_CASE("status JSON is one line with escaped strings") {
    JsonWriter j;
    j.begin_object().field("version", 1).key("s").begin_array();
    j.begin_object().field("identity", "a\"b\\c\nd").field("n", std::uint64_t{7}).field("ok", true).end_object();
    j.begin_object().end_object();
    j.end_array().end_object();
    CHECK(j.str() == R"({"version":1,"s":[{"identity":"a\"b\\c\nd","n":7,"ok":true},{}]})");
}
