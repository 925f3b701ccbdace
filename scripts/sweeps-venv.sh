#!/usr/bin/env bash
# Creates (or reuses) the cached Python venv holding the official W&B
# `sweeps` package (the local controller's algorithms and the sweep config
# JSON schema; not part of the wandb wheel). The sweeps crate's oracle tests
# and benches/sweeps_vs_python.py compare against it. Idempotent; prints the
# venv's python path last. Tests that need it skip when it is absent.
#   WANDB_RS_SWEEPS_VENV  venv location (default $HOME/.cache/wandb-rs/sweeps-venv)
#   PYTHON                interpreter (default python3)
# Use: export WANDB_RS_SWEEPS_PY=$(scripts/sweeps-venv.sh)
set -euo pipefail
VENV="${WANDB_RS_SWEEPS_VENV:-$HOME/.cache/wandb-rs/sweeps-venv}"
PYTHON="${PYTHON:-python3}"
PKGS=(sweeps==0.3.0 numpy==1.26.4 scipy==1.13.1 scikit-learn==1.5.2 PyYAML==6.0.2
      jsonschema==4.23.0 jsonref==1.1.0 pydantic==2.9.2)

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import sweeps, sklearn, jsonschema' 2>/dev/null; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PKGS[@]}" >&2
fi
"$VENV/bin/python" -c 'import sweeps' >/dev/null
echo "$VENV/bin/python"
