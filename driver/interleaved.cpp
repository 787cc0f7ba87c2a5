#include "interleaved.h"

#include <algorithm>
#include <chrono>

namespace convforge {

Contender timed(std::function<void()> body) {
    return [body] {
        const auto t0 = std::chrono::steady_clock::now();
        body();
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    };
}

std::vector<double> interleaved_medians_ms(const std::vector<Contender> &contenders, int rounds) {
    for (const auto &fn : contenders)
        for (int i = 0; i < 2; ++i) fn();
    std::vector<std::vector<double>> times(contenders.size());
    for (int r = 0; r < rounds; ++r) {
        for (size_t c = 0; c < contenders.size(); ++c) {
            contenders[c]();
            times[c].push_back(contenders[c]());
        }
    }
    std::vector<double> medians;
    for (auto &t : times) {
        std::sort(t.begin(), t.end());
        medians.push_back(t[t.size() / 2]);
    }
    return medians;
}

}  // namespace convforge
