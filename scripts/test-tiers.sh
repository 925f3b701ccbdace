#!/usr/bin/env bash
# Runs the whole test suite of the workspace as its four tiers
# (.config/nextest.toml: fast, interop, workflows, long) on ONE build, and
# prints how long the build and each tier took. Every tier runs even when an
# earlier one failed; the exit status is non-zero if any step failed.
#
# It first checks that the tiers partition the suite: every test is in
# exactly one tier, so a new test binary cannot be left out.
#
# Usage: scripts/test-tiers.sh            (needs the oracle venv: scripts/oracle-venv.sh)
# Extra arguments go to every `cargo nextest run` (e.g. --no-fail-fast).
set -uo pipefail
cd "$(dirname "$0")/.."

FEATURES=(--workspace --all-features)
TIERS=(fast interop workflows long)
declare -A SECS COUNT STATUS
failed=0

now() { date +%s; }
elapsed() { echo $(($(now) - $1)); }

t0=$(now)
if ! cargo nextest run "${FEATURES[@]}" --no-run; then
  echo "test-tiers: the build failed" >&2
  exit 1
fi
build_secs=$(elapsed "$t0")

# The tiers must add up to the default profile: each test in exactly one.
count() {
  cargo nextest list "${FEATURES[@]}" "$@" --message-format oneline 2>/dev/null | grep -c . || true
}
total=$(count)
sum=0
for tier in "${TIERS[@]}"; do
  COUNT[$tier]=$(count -P "$tier")
  sum=$((sum + COUNT[$tier]))
done
if [ "$sum" != "$total" ]; then
  echo "test-tiers: the tiers hold $sum tests but the suite has $total:" >&2
  echo "  every test binary must be in exactly one tier of .config/nextest.toml" >&2
  failed=1
fi

for tier in "${TIERS[@]}"; do
  echo "=== tier $tier (${COUNT[$tier]} tests)" >&2
  t=$(now)
  if [ "$tier" = fast ]; then
    WANDB_RS_NO_ORACLE=1 cargo nextest run "${FEATURES[@]}" -P "$tier" "$@"
  else
    cargo nextest run "${FEATURES[@]}" -P "$tier" "$@"
  fi
  rc=$?
  SECS[$tier]=$(elapsed "$t")
  if [ "$rc" = 0 ]; then STATUS[$tier]=pass; else STATUS[$tier]="FAIL ($rc)"; failed=1; fi
done

{
  echo
  echo "test-tiers: timings (seconds, wall)"
  printf '  %-10s %6s %6s  %s\n' step secs tests result
  printf '  %-10s %6s %6s  %s\n' build "$build_secs" - -
  for tier in "${TIERS[@]}"; do
    printf '  %-10s %6s %6s  %s\n' "$tier" "${SECS[$tier]}" "${COUNT[$tier]}" "${STATUS[$tier]}"
  done
  printf '  %-10s %6s %6s\n' total "$(elapsed "$t0")" "$total"
} >&2
exit "$failed"
