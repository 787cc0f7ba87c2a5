// `convforge tune`: searches a layer's declared knob space on this machine and
// writes the best record to the schedule database, where `emit` (and the build)
// find it.
#pragma once

#include <string>

namespace convforge {

struct TuneOptions {
    std::string spec_path;
    std::string target;        // --target, as target_to_run_here reads it; "" = this CPU's best sub-target
    int batch = 1, height = 56, width = 56;
    double budget_seconds = 240;
    double compile_timeout_seconds = 90;
    int threads = 0;
    int repeats = 15;          // interleaved rounds (about 20 ms of each kernel) per timing
    std::string db_path;
    std::string self;          // this executable, to compile candidates in child processes
    std::string linker = "c++";
    bool test_wrong_candidate = false;  // tests: compile one candidate of another epilogue
    std::string baseline;      // "adams2019": also time the layer as Halide's Adams2019 autoscheduler schedules it
    double baseline_timeout_seconds = 600;
};

// Throws Error naming the problem; progress goes to stderr, the result to stdout.
void tune(const TuneOptions &options);

}  // namespace convforge
