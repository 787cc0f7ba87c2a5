// The `emit` subcommand, shared by the `convforge` driver and the build-time
// `convforge-gen` tool (which has no compiled kernels of its own yet).
#pragma once

#include <CLI/CLI.hpp>

#include "emit.h"

namespace convforge {

CLI::App *add_emit_command(CLI::App &app, EmitOptions &options);
int run_emit_command(const EmitOptions &options);

}  // namespace convforge
