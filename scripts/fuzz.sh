#!/usr/bin/env bash
# Runs the fuzz targets (cargo fuzz, libFuzzer + AddressSanitizer) for SECONDS each
# (default 60): all of them (generate, receive, signature, doc_text), or the TARGETs named after
# SECONDS. Prints executions, coverage and new crashes per target. Crashes land in
# fuzz/artifacts/<target>/; copy each into fuzz/regressions/<target>/ (replayed by
# `cargo test --test fuzz_replay`) before fixing it.
#
# Needs a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz, which this
# script installs when missing. Seeds: the specs, the snapshot specs, fuzz/seeds, past
# regressions, the AsyncAPI corpus ($HOOKGEN_CORPUS, default ../shared/corpus) and the
# spec examples (written by `cargo run --example fuzz_seeds`). The working corpora stay
# in target/fuzz-corpus, outside version control.
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(generate receive signature doc_text); fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
corpus="${HOOKGEN_CORPUS:-$root/../shared/corpus}"
work="$root/target/fuzz-corpus"

toolchain=nightly
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain; install one with: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

mkdir -p "$work/generate" "$work/receive" "$work/signature" "$work/doc_text" fuzz/regressions/signature
cargo run -q --example fuzz_seeds -- "$work"

generate_seeds=(specs codegen/tests/snapshots fuzz/seeds/generate fuzz/regressions/generate)
if [ -d "$corpus/public" ]; then
    generate_seeds+=("$corpus/public" "$corpus/spec-examples" "$corpus/v3-examples")
else
    echo "fuzz.sh: no AsyncAPI corpus at $corpus; seeding without it" >&2
fi
receive_seeds=("$work/receive-seeds" fuzz/regressions/receive)
signature_seeds=("$work/signature-seeds" fuzz/regressions/signature)
doc_text_seeds=(fuzz/seeds/doc_text fuzz/regressions/doc_text specs)

cargo +"$toolchain" fuzz build --release >/dev/null

summary=()
status=0
for target in "${targets[@]}"; do
    case "$target" in
        generate) seeds=("${generate_seeds[@]}"); max_len=131072 ;;
        receive) seeds=("${receive_seeds[@]}"); max_len=65536 ;;
        signature) seeds=("${signature_seeds[@]}"); max_len=4096 ;;
        doc_text) seeds=("${doc_text_seeds[@]}"); max_len=16384 ;;
        *) echo "fuzz.sh: unknown target $target" >&2; exit 2 ;;
    esac
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$artifacts"
    log="$work/$target.log"
    # Crashes of this run only: earlier ones may still sit in the artifacts directory.
    started="$work/$target.started"
    touch "$started"
    echo "fuzz.sh: $target for ${seconds}s" >&2
    if ! cargo +"$toolchain" fuzz run --release "$target" "$work/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
        status=1
    fi
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')"
    crashes="$(find "$artifacts" -type f -newer "$started" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)"
    summary+=("$(printf '%-10s %8ss %12s execs %8s edges %4s crashes' "$target" "$seconds" "${execs:-?}" "${cov:-?}" "$crashes")")
done

printf '%s\n' "target       time        executions      coverage  new crashes/timeouts/ooms (fuzz/artifacts)"
printf '%s\n' "${summary[@]}"
exit "$status"
