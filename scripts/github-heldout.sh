#!/usr/bin/env bash
# Measures the GitHub module on real payloads the project's tests never saw: fetches
# `@octokit/webhooks-examples` (npm, default 7.6.1; GitHub Enterprise Server sets with
# GHES=1), keeps the payloads the shared corpus's examples.json lacks, and runs
# `tests/github_examples.rs::held_out_github_payloads_all_reach_the_application` on them.
# Needs npm and python3. Usage: scripts/github-heldout.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-7.6.1}"
corpus="${HOOKGEN_CORPUS:-../shared/corpus}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@octokit/webhooks-examples@$version" >/dev/null && tar xzf ./*.tgz)
sets=("$work/package/api.github.com/index.json")
if [ "${GHES:-0}" = 1 ]; then sets+=("$work"/package/ghes-*/index.json); fi
python3 - "$corpus/openapi/github/examples.json" "$work/heldout.json" "${sets[@]}" <<'PY'
import json, sys
shared, out, *sets = sys.argv[1:]
seen = {json.dumps(x, sort_keys=True) for e in json.load(open(shared)) for x in e.get("examples", [])}
events = {}
for path in sets:
    for entry in json.load(open(path)):
        for example in entry.get("examples", []):
            key = json.dumps(example, sort_keys=True)
            if key not in seen:
                seen.add(key)
                events.setdefault(entry["name"], []).append(example)
json.dump([{"name": n, "examples": x} for n, x in sorted(events.items())], open(out, "w"))
print(f"{sum(map(len, events.values()))} held-out payloads over {len(events)} events", file=sys.stderr)
PY
HOOKGEN_GITHUB_HELDOUT="$work/heldout.json" cargo test -q --test github_examples held_out -- --nocapture
