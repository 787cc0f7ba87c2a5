// The CPU SAConv schedule x86 and ARM share: the conv pass is the conv's own loop
// nest (schedules/conv/cpu.cpp) with both branches' register tiles computed, one
// after the other, inside each output tile, so the tile's input is in cache for
// the second; the small stages before it are each one vectorized pass.
#include "stages.h"
#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

namespace {

// The pre-passes over the input: GAP(x) (a read of x), the switch's channel sum
// (another read of x), the 5 x 5 average of that one-channel map, and the tap
// sums over the padded x' (2 C k^2 multiply-adds per output pixel).
void schedule_context_stages(const SaconvStages &s, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    {
        Func gap = s.gap_x;
        Var c = gap.args()[0], n = gap.args()[1], cn("cn");
        gap.compute_root().fuse(c, n, cn).parallel(cn);
    }
    for (Func f : {s.pre_context, s.switch_offset}) f.compute_root();
    {
        Func u = s.switch_input;
        Var x = u.args()[0], y = u.args()[1], n = u.args()[2], yn("yn");
        u.compute_root().fuse(y, n, yn).parallel(yn).vectorize(x, vec, TailStrategy::GuardWithIf);
        u.update().reorder(x, s.channel_r.x, y, n).fuse(y, n, yn).parallel(yn).vectorize(x, vec, TailStrategy::GuardWithIf);
    }
    {
        Func m = s.switch_map;
        Var x = m.args()[0], y = m.args()[1], n = m.args()[2], yn("yn");
        m.compute_root().fuse(y, n, yn).parallel(yn).vectorize(x, vec, TailStrategy::GuardWithIf);
    }
    {
        Func t = s.tap_sums;
        Var c = t.args()[0], kx = t.args()[1], ky = t.args()[2], n = t.args()[3], co("co"), ci("ci"), task("task");
        t.compute_root().vectorize(c, vec, TailStrategy::GuardWithIf);
        // Each task owns one channel vector's k^2 tap sums of both branches and
        // walks every output pixel: the padded row it reads is contiguous in c.
        t.update()
            .split(c, co, ci, vec, TailStrategy::GuardWithIf)
            .reorder(ci, kx, ky, s.tap_sums_r.x, s.tap_sums_r.y, co, n)
            .vectorize(ci)
            .fuse(co, n, task)
            .parallel(task);
    }
    {
        Func b = s.blended_sum;
        Var o = b.args()[0];
        b.compute_root().vectorize(o, vec, TailStrategy::GuardWithIf);
        b.update().vectorize(o, vec, TailStrategy::GuardWithIf);
    }
    Func shift = s.output_shift;
    shift.compute_root();
}

}  // namespace

void schedule_saconv_cpu(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvTileLevels at = tile_conv_output_cpu(s.conv, k, facts);
    schedule_conv_accumulator_cpu(s.conv, s.conv.acc, s.conv.r, at, k, facts);
    schedule_conv_accumulator_cpu(s.conv, s.acc_large, s.r_large, at, k, facts);
    if (s.conv.path == ConvPath::Dense) {
        schedule_conv_padded_cpu(s.conv, at, facts);
    } else {
        // The tap sums read the padded input outside the output's loops, so it is
        // built once, whole, rather than per task as the conv's grouped path does.
        Func padded = s.conv.padded;
        Var x = padded.args()[0], y = padded.args()[1], c = padded.args()[2], n = padded.args()[3];
        Var yc("yc"), task("task");
        padded.compute_root().fuse(y, c, yc).fuse(yc, n, task).parallel(task).vectorize(
            x, facts.vector_floats, TailStrategy::GuardWithIf);
    }
    schedule_context_stages(s, facts);
}

}  // namespace convforge
