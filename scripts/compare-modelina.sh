#!/usr/bin/env bash
# Times Hookgen against AsyncAPI Modelina (its Rust generator), both as whole processes on
# the same specs, and prints the medians and their ratio. Needs Node.js and npm; installs
# @asyncapi/modelina from the npm registry into target/modelina. Not part of CI.
#
#   scripts/compare-modelina.sh [RUNS] [SPEC...]     (default: 10 runs, specs/*.yaml)
#
# Modelina generates model structs only (no routing, decoding or signatures) and reads
# the specs without our overlays; Hookgen generates the whole crate.
set -euo pipefail

runs="${1:-10}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$#" -gt 0 ]; then specs=("$@"); else specs=(specs/airmy.yaml specs/flagsmith.yaml specs/flyio.yaml specs/flymyai.yaml); fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "compare-modelina.sh: Node.js and npm are needed; skipped" >&2
    exit 0
fi

work="$root/target/modelina"
mkdir -p "$work"
if [ ! -d "$work/node_modules/@asyncapi/modelina" ]; then
    (cd "$work" && npm install --no-audit --no-fund --silent @asyncapi/modelina@5 js-yaml@4 >/dev/null)
fi
cat >"$work/gen.js" <<'JS'
// Generates Rust models with Modelina for each spec given, into OUT (argv[2]).
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { RustGenerator } = require('@asyncapi/modelina');

async function main() {
  const [out, ...specs] = process.argv.slice(2);
  const generator = new RustGenerator();
  for (const spec of specs) {
    const text = fs.readFileSync(spec, 'utf8');
    const input = spec.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
    const models = await generator.generate(input);
    const dir = path.join(out, path.basename(spec).replace(/\.[^.]+$/, ''));
    fs.mkdirSync(dir, { recursive: true });
    for (const model of models) {
      fs.writeFileSync(path.join(dir, `${model.modelName}.rs`), model.result);
    }
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
JS

cargo build -q --release -p hookgen-cli
hookgen="$root/target/release/hookgen"
modelina_version="$(node -p "require('$work/node_modules/@asyncapi/modelina/package.json').version")"

# Median wall time in milliseconds of RUNS runs of a command (after one warm-up run).
median_ms() {
    "$@" >/dev/null 2>&1
    local times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f\n", m / 1000}'
}

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
hookgen_ms="$(median_ms "$hookgen" generate --out "$out/hookgen" "${specs[@]}")"
modelina_ms="$(median_ms node "$work/gen.js" "$out/modelina" "${specs[@]}")"
echo "specs: ${specs[*]}"
echo "runs: $runs (median wall time of whole processes, one warm-up run each)"
printf 'hookgen (release)          %10s ms\n' "$hookgen_ms"
printf 'modelina %-17s %10s ms\n' "$modelina_version" "$modelina_ms"
awk -v h="$hookgen_ms" -v m="$modelina_ms" 'BEGIN { printf "ratio modelina / hookgen    %10.1f x\n", m / h }'
