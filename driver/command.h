// A subcommand of a convforge CLI. Each command has one add_<command>(app)
// function declaring all its options; it returns the subcommand with what
// running it does, so `main` only adds the commands and runs the one parsed.
// The options several commands take are spelled and explained once, here.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace convforge {

struct Command {
    CLI::App *cli;             // parsed() once the command line names it
    std::function<int()> run;  // runs it with the parsed options: the exit status
};

// --db: the schedule database (records of tuned knobs), `role` saying what the
// command does with it.
inline CLI::Option *add_db_option(CLI::App &cmd, std::string &path, const std::string &role) {
    return cmd.add_option("--db", path, "schedule database JSON: " + role)->capture_default_str();
}

}  // namespace convforge
