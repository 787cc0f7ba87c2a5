#!/usr/bin/env python3
"""Draws the JSON documents `convforge_vs_pytorch --json PATH` writes as one PNG:
grouped bars of each variant's speedup over its PyTorch module (the module's time
over convforge's), one bar per benchmark shape, at one batch and thread count.

usage: python3 bench/plot.py OUT.png RUN.json [RUN.json ...] [--batch 8] [--threads 2]

Needs matplotlib (Debian: apt install python3-matplotlib); nothing else in
convforge does.
"""
import argparse
import json
import sys


def die(message):
    print("plot.py: error: " + message, file=sys.stderr)
    sys.exit(1)


def label(doc):
    """The variant's name, with DSConv's mode (its fields say which)."""
    variant, fields = doc["variant"], doc.get("fields", "")
    if variant == "dsconv" and fields:
        try:
            spec = json.loads("{" + fields + "}")
        except ValueError:
            spec = {}
        mode = "integer" if spec.get("activation_bits", 0) else "exact"
        return "DSConv %s, %s bits" % (mode, spec.get("bits", "?"))
    names = {"doconv": "DO-Conv", "saconv": "SAConv", "spconv": "SPConv", "condconv": "CondConv",
             "odconv": "ODConv", "dsconv": "DSConv"}
    return names.get(variant, variant) + (" {" + fields + "}" if fields else "")


def cpu_text(cpu):
    text = cpu.get("model_name", "unknown CPU")
    if cpu.get("cpu_family") is not None and cpu.get("model") is not None:
        text += " (family %s model %s)" % (cpu["cpu_family"], cpu["model"])
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the PNG to write")
    parser.add_argument("runs", nargs="+", help="JSON documents written by convforge_vs_pytorch --json")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.out.endswith(".png"):
        die("%s: the output must be a .png file" % args.out)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: error: matplotlib is not installed for %s; on Debian: apt install python3-matplotlib "
              "(it serves Debian's /usr/bin/python3)" % sys.executable, file=sys.stderr)
        sys.exit(1)

    groups, shapes, cpus, dates, rounds = [], [], set(), [], set()
    for path in args.runs:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            die("%s: %s" % (path, e))
        if doc.get("benchmark") != "convforge_vs_pytorch" or not isinstance(doc.get("rows"), list):
            die("%s: not a document of convforge_vs_pytorch --json" % path)
        rows = [r for r in doc["rows"] if r["batch"] == args.batch and r["threads"] == args.threads]
        if not rows:
            die("%s: no rows at batch %d, %d threads" % (path, args.batch, args.threads))
        speedups = {}
        for r in rows:
            if r["layer"] not in shapes:
                shapes.append(r["layer"])
            speedups[r["layer"]] = r["speedup_vs_pytorch_module"]
        groups.append((label(doc), speedups))
        cpus.add(cpu_text(doc.get("cpu", {})))
        dates.append(doc.get("date_utc", "")[:10])
        rounds.add(doc.get("rounds"))
    if len(cpus) > 1:
        print("plot.py: warning: the runs come from different CPUs: " + "; ".join(sorted(cpus)), file=sys.stderr)

    width = 0.8 / len(shapes)
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(groups) + 2), 5), dpi=110)
    top = 1.0
    for i, shape in enumerate(shapes):
        xs = [g + (i - (len(shapes) - 1) / 2) * width for g in range(len(groups))]
        ys = [speedups.get(shape, 0.0) for _, speedups in groups]
        bars = ax.bar(xs, ys, width, label=shape.replace("→", "->"))
        for bar, y in zip(bars, ys):
            if y > 0:
                ax.annotate("%.2f" % y, (bar.get_x() + bar.get_width() / 2, y), ha="center", va="bottom",
                            fontsize=7, xytext=(0, 1), textcoords="offset points")
        top = max([top] + ys)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="the PyTorch module (1)")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([name for name, _ in groups])
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("speedup over the PyTorch module (its time / convforge's)")
    span = min(dates) if min(dates) == max(dates) else "%s to %s" % (min(dates), max(dates))
    ax.set_title("convforge vs each variant's PyTorch module: batch %d, %d threads, 3x3, medians of %s "
                 "interleaved rounds\n%s, %s" % (args.batch, args.threads,
                                                  "/".join(str(r) for r in sorted(rounds, key=str)),
                                                  "; ".join(sorted(cpus)), span), fontsize=9)
    ax.legend(title="layer (C->C, size, stride)", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(args.out)
    except OSError as e:
        die("%s: %s" % (args.out, e))
    print("plot.py: wrote %s (%d variants, %d shapes)" % (args.out, len(groups), len(shapes)))


if __name__ == "__main__":
    main()
