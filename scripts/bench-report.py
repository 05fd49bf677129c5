#!/usr/bin/env python3
"""Prints the medians criterion measured (target/criterion) and, in every group that has
a `baseline…` member, each member's speed as a ratio of the baseline's
(baseline median / member median: 1.00 = as fast, 0.95 = 5 % slower).

Run after `cargo bench`; reads only criterion's own JSON output.
"""
import json
import pathlib
import sys
from collections import defaultdict

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
groups = defaultdict(dict)
for bench in root.rglob("new/benchmark.json"):
    meta = json.loads(bench.read_text())
    estimates = json.loads((bench.parent / "estimates.json").read_text())
    median_ns = estimates["median"]["point_estimate"]
    value = meta.get("value_str")
    function = meta.get("function_id") or ""
    groups[(meta["group_id"], value)][function] = (median_ns, meta.get("throughput"))


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


for (group, value), members in sorted(groups.items(), key=lambda kv: (kv[0][0], int(kv[0][1]) if (kv[0][1] or "").isdigit() else 0)):
    title = group + (f" [{value}]" if value else "")
    baseline = next((m for name, m in members.items() if name.startswith("baseline")), None)
    print(title)
    for name, (median, throughput) in sorted(members.items()):
        line = f"    {name:<26} median {human(median):>10}"
        if throughput and "Elements" in throughput:
            line += f"   {human(median / throughput['Elements']):>10} per element"
        if throughput and "Bytes" in throughput:
            line += f"   {throughput['Bytes'] / median * 1e9 / 2**20:8.1f} MiB/s"
        if baseline and not name.startswith("baseline"):
            line += f"   ratio vs baseline {baseline[0] / median:.3f}"
        print(line)
