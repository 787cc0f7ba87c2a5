// This machine's CPU as the kernel names it, and the time in UTC: what tune's
// records and the benchmarks' JSON documents say they ran on, and when.
#pragma once

#include <optional>
#include <string>

namespace convforge {

struct HostCpu {
    std::string model_name;     // the first processor's "model name" ("" where /proc/cpuinfo has none)
    std::optional<int> family;  // "cpu family" and "model" (x86): VMs often name only "AMD EPYC"
    std::optional<int> model;
    std::string flags;          // its "flags" (x86) or "Features" (AArch64), space-separated
    unsigned logical_cpus = 0;

    bool has_flag(const std::string &flag) const;
};

// The first processor of /proc/cpuinfo (empty fields where it cannot be read).
HostCpu host_cpu();

// Now in UTC, formatted by strftime (e.g. "%Y-%m-%d").
std::string utc_now(const char *format);

}  // namespace convforge
