// The `emit` subcommand, shared by the `convforge` driver and the build-time
// `convforge-gen` tool (which has no compiled kernels of its own yet).
#pragma once

#include <string>

#include "command.h"

namespace convforge {

// `default_db`: the schedule database read without --db ("" for none).
Command add_emit_command(CLI::App &app, const std::string &default_db);

}  // namespace convforge
