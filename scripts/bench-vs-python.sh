#!/usr/bin/env bash
# Logs the same N rows of 3 scalars with the official Python client
# (wandb==0.31.0, offline) and with wandb-rs, and prints both and the ratio.
# Usage: scripts/bench-vs-python.sh [N]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
VENV="$(./scripts/oracle-venv.sh | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/py" "$work/rs"

py_out="$(cd "$work/py" && env -u WANDB_API_KEY HOME="$work/home" WANDB_MODE=offline WANDB_SILENT=true \
  WANDB_ERROR_REPORTING=false WANDB_DIR="$work/py" "$VENV/bin/python" - "$N" <<'PY'
import glob, os, sys, time
import wandb
n = int(sys.argv[1])
run = wandb.init(project="bench", settings=wandb.Settings(x_disable_stats=True))
t = time.perf_counter()
for i in range(n):
    x = i + 1.0
    run.log({"loss": 1.0 / x, "acc": 1.0 - 1.0 / x, "lr": 1e-3})
logged = time.perf_counter() - t
run.finish()
total = time.perf_counter() - t
path = glob.glob(os.path.join(os.environ["WANDB_DIR"], "wandb", "offline-run-*", "*.wandb"))[0]
size = os.path.getsize(path)
print(f"{logged * 1e6 / n:.3f} {n / total:.0f} {size / n:.1f}")
PY
)"
cargo build --release -q -p wandb-core --example log_rows
rs_line="$(HOME="$work/home" ./target/release/examples/log_rows "$N" "$work/rs")"
rs_us="$(echo "$rs_line" | sed -E 's/.*log\(\) ([0-9.]+) us.*/\1/')"
rs_rate="$(echo "$rs_line" | sed -E 's/.* ([0-9]+) rows\/s.*/\1/')"
rs_bytes="$(echo "$rs_line" | sed -E 's/.* ([0-9.]+) bytes\/row.*/\1/')"
read -r py_us py_rate py_bytes <<<"$py_out"
printf '%-22s %14s %16s %10s\n' "client ($N rows)" "log() us/row" "rows/s (finish)" "bytes/row"
printf '%-22s %14s %16s %10s\n' "wandb 0.31.0 (Python)" "$py_us" "$py_rate" "$py_bytes"
printf '%-22s %14s %16s %10s\n' "wandb-rs" "$rs_us" "$rs_rate" "$rs_bytes"
awk -v a="$py_us" -v b="$rs_us" -v c="$rs_rate" -v d="$py_rate" -v e="$py_bytes" -v f="$rs_bytes" \
  'BEGIN { printf "ratio: log() %.0fx faster, throughput %.0fx, %.2fx the bytes per row\n", a / b, c / d, f / e }'
