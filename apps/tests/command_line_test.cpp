// SPDX-License-Identifier: GPL-3.0-or-later
#include "command_line.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace udpvpn::app;

namespace {
std::optional<int> parse(std::vector<const char*> args, CommandLine& out) {
    args.insert(args.begin(), "prog");
    return parse_command_line(static_cast<int>(args.size()), const_cast<char**>(args.data()),
                              ProgramInfo{"prog", "/etc/prog.toml", {{"install-service", "install"}}}, out);
}
}  // namespace

TEST_CASE("the daemons' command line: defaults, --config, commands, and usage errors") {
    CommandLine cl;
    CHECK_FALSE(parse({}, cl));
    CHECK(cl.config_path == "/etc/prog.toml");
    CHECK_FALSE(cl.check_config);

    cl = {};
    CHECK_FALSE(parse({"--config", "x.toml", "--check-config"}, cl));
    CHECK(cl.config_path == "x.toml");
    CHECK(cl.check_config);

    cl = {};
    CHECK_FALSE(parse({"install-service", "-c", "y.toml"}, cl));
    CHECK(cl.command == "install-service");
    CHECK(cl.config_path == "y.toml");

    cl = {};
    CHECK(parse({"--bogus"}, cl) == 2);
    CHECK(parse({"uninstall-service"}, cl) == 2);               // not this program's command
    CHECK(parse({"install-service", "install-service"}, cl) == 2);
    CHECK(parse({"--config"}, cl) == 2);                        // missing its file
    CHECK(parse({"--version"}, cl) == 0);
}
