#include "host_cpu.h"

#include <ctime>
#include <fstream>
#include <thread>

namespace convforge {

bool HostCpu::has_flag(const std::string &flag) const {
    return (" " + flags + " ").find(" " + flag + " ") != std::string::npos;
}

HostCpu host_cpu() {
    HostCpu cpu;
    cpu.logical_cpus = std::thread::hardware_concurrency();
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    // The first processor's block ends at the first empty line.
    while (std::getline(cpuinfo, line) && !line.empty()) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        key.erase(key.find_last_not_of(" \t") + 1);
        const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key == "model name") cpu.model_name = value;
        if (key == "flags" || key == "Features") cpu.flags = value;
        if (key == "cpu family" || key == "model") {
            try {
                (key == "model" ? cpu.model : cpu.family) = std::stoi(value);
            } catch (const std::exception &) {
            }
        }
    }
    return cpu;
}

std::string utc_now(const char *format) {
    const std::time_t now = std::time(nullptr);
    char text[64];
    return std::strftime(text, sizeof text, format, std::gmtime(&now)) ? text : "";
}

}  // namespace convforge
