#!/usr/bin/env python3
"""Prints the medians criterion measured (target/criterion) and, in every group that has
a `baseline…` member, each member's speed as a ratio of the baseline's
(baseline median / member median: 1.00 = as fast, 0.95 = 5 % slower). In groups that
split the work (`verify-baseline`, `verify-hookgen`, `decode-hookgen-type`), each
`X-hookgen…` member is compared with its own `X-baseline`.

`--fastest` adds, for every ratio, the ratio of the fastest samples (the least disturbed
by other load on a shared machine: a check on the medians, not a replacement).

Run after `cargo bench`; reads only criterion's own JSON output.
"""
import json
import pathlib
import sys
from collections import defaultdict

args = [a for a in sys.argv[1:] if not a.startswith("--")]
fastest = "--fastest" in sys.argv
root = pathlib.Path(args[0] if args else "target/criterion")
groups = defaultdict(dict)
for bench in root.rglob("new/benchmark.json"):
    meta = json.loads(bench.read_text())
    estimates = json.loads((bench.parent / "estimates.json").read_text())
    median_ns = estimates["median"]["point_estimate"]
    sample = json.loads((bench.parent / "sample.json").read_text())
    fastest_ns = min(t / n for t, n in zip(sample["times"], sample["iters"]))
    value = meta.get("value_str")
    function = meta.get("function_id") or ""
    groups[(meta["group_id"], value)][function] = (median_ns, meta.get("throughput"), fastest_ns)


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


for (group, value), members in sorted(groups.items(), key=lambda kv: (kv[0][0], int(kv[0][1]) if (kv[0][1] or "").isdigit() else 0)):
    title = group + (f" [{value}]" if value else "")
    baseline = next((m for name, m in members.items() if name.startswith("baseline")), None)
    print(title)
    for name, (median, throughput, low) in sorted(members.items()):
        line = f"    {name:<26} median {human(median):>10}"
        if throughput and "Elements" in throughput:
            line += f"   {human(median / throughput['Elements']):>10} per element"
        if throughput and "Bytes" in throughput:
            line += f"   {throughput['Bytes'] / median * 1e9 / 2**20:8.1f} MiB/s"
        label = name.split("-hookgen")[0] + "-baseline" if "-hookgen" in name else "baseline"
        own = members.get(label) if "-hookgen" in name else None
        if not own and not name.startswith("baseline"):
            own, label = baseline, "baseline"
        if own:
            line += f"   ratio vs {label} {own[0] / median:.3f}"
            if fastest:
                line += f" (fastest samples {own[2] / low:.3f})"
        print(line)
