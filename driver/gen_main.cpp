// convforge-gen: the build-time kernel compiler. It is the driver's `emit` alone,
// so the project can compile the kernels the full driver and runtime link.
#include "emit_command.h"
#include "cleanup_on_signal.h"

int main(int argc, char **argv) {
    convforge::cleanup::install_signal_handlers();  // an interrupted build leaves nothing
    CLI::App app{"convforge-gen: emit convforge kernels (build-time tool)"};
    app.require_subcommand(1);
    const convforge::Command emit = convforge::add_emit_command(app, CONVFORGE_SCHEDULE_DB);
    CLI11_PARSE(app, argc, argv);
    return emit.run();
}
