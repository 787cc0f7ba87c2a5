// Timing contenders in one run: interleaved rounds, so a noisy stretch of the
// machine hits all of them alike (these machines drift by a quarter within
// minutes). Shared by the benchmarks.
#pragma once

#include <functional>
#include <vector>

namespace convforge {

// One run of a contender, returning its time in ms.
using Contender = std::function<double()>;

// A contender that times `body` with a steady clock.
Contender timed(std::function<void()> body);

// Each contender's median in ms over `rounds` interleaved rounds. In each round
// every contender runs twice and its second run is timed: a small layer whose
// data fits in cache would otherwise run cold after a large contender and warm
// after one that shares its tensors, and the order of the contenders would show
// in their times.
std::vector<double> interleaved_medians_ms(const std::vector<Contender> &contenders, int rounds);

}  // namespace convforge
