#!/usr/bin/env bash
# Runs a command (the test suite) in a hostile environment and fails if the
# command leaves anything behind. It proves the tests are hermetic: none of
# them may read the developer's HOME, ~/.netrc, WANDB_* variables,
# WANDB_DATA_DIR or settings files, and none may leave a file or a process.
#
#   scripts/hostile-env.sh cargo nextest run --workspace --all-features
#
# What is hostile: a HOME whose ~/.config/wandb/settings says mode=online with
# a base URL on a closed port, a ~/.netrc entry for that host, and WANDB_RUN_ID,
# WANDB_PROJECT, WANDB_RESUME=must, WANDB_DATA_DIR, WANDB_MODE=online,
# WANDB_BASE_URL, WANDB_API_KEY, WANDB_DIR set. A test that reads any of
# them goes online to a closed port, resumes a run that does not exist or
# writes into the hostile directories, and fails or is caught below.
#
# Checked afterwards: the hostile HOME and WANDB_DATA_DIR are unchanged, the
# repository has no new untracked or ignored file (outside target/), the
# command's TMPDIR is empty, and no process the command started still runs
# (found by a marker variable they inherit).
# The oracle venv must exist already (scripts/oracle-venv.sh) and is passed on
# through WANDB_RS_ORACLE_VENV; cargo and rustup keep their real homes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

real_home="$HOME"
export CARGO_HOME="${CARGO_HOME:-$real_home/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$real_home/.rustup}"
export WANDB_RS_ORACLE_VENV="${WANDB_RS_ORACLE_VENV:-$real_home/.cache/wandb-rs/oracle-venv}"

base=$(mktemp -d "${TMPDIR:-/tmp}/wandb-rs-hostile.XXXXXX")
trap 'rm -rf "$base"' EXIT
hostile_home="$base/home"
data_dir="$base/data"
wandb_dir="$base/wandb-dir"
suite_tmp="$base/tmp"
mkdir -p "$hostile_home/.config/wandb" "$data_dir" "$wandb_dir" "$suite_tmp"
closed_port=9 # discard: nothing listens on it here
cat >"$hostile_home/.config/wandb/settings" <<EOF
[default]
mode = online
base_url = http://127.0.0.1:$closed_port
project = hostile-project
entity = hostile-entity
EOF
printf 'machine 127.0.0.1\n  login user\n  password %s\n' "hostile-$(printf 'k%.0s' {1..40})" \
  >"$hostile_home/.netrc"
chmod 600 "$hostile_home/.netrc"

snapshot() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }
repo_files() { git status --porcelain --ignored --untracked-files=all | grep -v -E '^!! target/' || true; }
home_before=$(snapshot "$hostile_home")
data_before=$(snapshot "$data_dir")
wandb_dir_before=$(snapshot "$wandb_dir")
repo_before=$(repo_files)
mark="$$-$RANDOM$RANDOM"

set +e
env WANDB_RS_HOSTILE_MARK="$mark" HOME="$hostile_home" TMPDIR="$suite_tmp" \
  WANDB_MODE=online WANDB_BASE_URL="http://127.0.0.1:$closed_port" \
  WANDB_API_KEY="hostile-$(printf 'k%.0s' {1..40})" \
  WANDB_RUN_ID=hostile1 WANDB_PROJECT=hostile-project WANDB_RESUME=must \
  WANDB_DATA_DIR="$data_dir" WANDB_DIR="$wandb_dir" \
  "$@"
status=$?
set -e

fail=0
report() { echo "hostile-env: $1" >&2; fail=1; }
[ "$(snapshot "$hostile_home")" = "$home_before" ] || {
  report "the suite changed the hostile HOME:"; diff <(echo "$home_before") <(snapshot "$hostile_home") >&2 || true; }
[ "$(snapshot "$data_dir")" = "$data_before" ] || {
  report "the suite wrote into WANDB_DATA_DIR:"; snapshot "$data_dir" >&2; }
[ "$(snapshot "$wandb_dir")" = "$wandb_dir_before" ] || {
  report "the suite wrote into WANDB_DIR:"; snapshot "$wandb_dir" >&2; }
[ -z "$(ls -A "$suite_tmp")" ] || { report "the suite left files in its TMPDIR:"; ls -A "$suite_tmp" | head -20 >&2; }
repo_after=$(repo_files)
[ "$repo_after" = "$repo_before" ] || {
  report "the suite left files in the repository:"; diff <(echo "$repo_before") <(echo "$repo_after") >&2 || true; }
# Every process the command starts inherits this marker in its environment.
left=$(grep -l -s -a "WANDB_RS_HOSTILE_MARK=$mark" /proc/[0-9]*/environ 2>/dev/null \
  | cut -d/ -f3 | while read -r pid; do
      [ "$pid" = "$$" ] || ps -o pid=,args= -p "$pid" 2>/dev/null || true
    done || true)
[ -z "$left" ] || { report "processes started by the suite still run:"; echo "$left" >&2; }

if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$fail" -ne 0 ]; then exit 1; fi
echo "hostile-env: nothing left behind (HOME, WANDB_DATA_DIR, WANDB_DIR, TMPDIR, repository, processes)" >&2
