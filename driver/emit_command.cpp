#include "emit_command.h"

#include <iostream>
#include <memory>

#include "convforge/convforge.h"
#include "emit.h"

namespace convforge {

namespace {

int run_emit_command(const EmitOptions &options) {
    EmitOptions o = options;
    if (o.name.empty() && !o.spec_path.empty()) {
        std::string stem = o.spec_path.substr(o.spec_path.find_last_of('/') + 1);
        stem = stem.substr(0, stem.find('.'));
        for (char &c : stem) {
            if (!isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        if (stem.empty() || isdigit(static_cast<unsigned char>(stem[0]))) stem = "layer_" + stem;
        o.name = stem;
    }
    try {
        emit(o, std::cout, std::cerr);
    } catch (const std::exception &e) {
        std::cerr << "convforge emit: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

Command add_emit_command(CLI::App &app, const std::string &default_db) {
    auto o = std::make_shared<EmitOptions>();
    o->schedule_db = default_db;
    CLI::App *cmd = app.add_subcommand("emit", "Compile a layer to a static library + header per target");
    cmd->add_option("--spec", o->spec_path, "layer spec JSON")->check(CLI::ExistingFile);
    cmd->add_option("--target", o->targets,
                    "comma-separated targets to compile for, each once:\n" + target_names_text() +
                        "  or any Halide target string")
        ->required();
    cmd->add_option("--out", o->out_dir, "output directory (one sub-directory per target)")->required();
    cmd->add_option("--name", o->name, "function and file name (default: the spec file's stem)");
    add_db_option(*cmd, o->schedule_db, "the knobs each target's kernel is compiled with");
    cmd->add_option("--builtin", o->builtin_kernel,
                    "instead of --spec: a shape-generic kernel the runtime links, by name (convforge list)");
    cmd->add_flag("!--no-runtime", o->with_runtime, "do not emit the Halide runtime library");
    cmd->add_flag("!--runtime-only{false}", o->with_kernel, "emit only the Halide runtime library");
    cmd->add_flag("--flat", o->flat, "write into --out itself, not a sub-directory per target");
    cmd->add_option("--autoscheduler", o->autoscheduler, "schedule with a Halide autoscheduler (a tuning baseline)")
        ->group("");
    cmd->add_option("--estimate", o->estimate,
                    "N,H,W: the batch and input size the layer will run at (picks, of the records tuned for this "
                    "layer, the one nearest it; default: the one tuned on the most work)");
    return {cmd, [o] { return run_emit_command(*o); }};
}

}  // namespace convforge
