#!/usr/bin/env bash
# Mutation testing of the security- and routing-critical runtime (cargo-mutants): every
# mutant of runtime/src/signature.rs and runtime/src/routing.rs must be caught by a test,
# or be listed in RELIABILITY.md with the reason it is equivalent. Installs cargo-mutants
# when missing; prints cargo-mutants' summary and the surviving mutants. Not part of CI
# (about 5 minutes on 2 cores).
#
#   scripts/mutants.sh [extra cargo-mutants arguments]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! cargo mutants --version >/dev/null 2>&1; then
    echo "mutants.sh: installing cargo-mutants" >&2
    cargo install cargo-mutants --locked
fi

status=0
cargo mutants -p hookgen-runtime \
    -f runtime/src/signature.rs -f runtime/src/routing.rs \
    --output target "$@" || status=$?
echo
echo "surviving mutants (each needs a test or a reason in RELIABILITY.md):"
cat target/mutants.out/missed.txt 2>/dev/null || true
# cargo-mutants exits 2 when mutants survive and 3 when some time out (a hang the tests
# caught); both are findings to read, not crashes.
exit "$status"
