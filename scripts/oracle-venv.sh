#!/usr/bin/env bash
# Creates (or reuses) the cached Python venv with the official tools the
# interop tests compare against: wandb==0.31.0, tensorboard==2.21.0,
# tbparse==0.0.9, scikit-learn, pandas, pyarrow, h5py (from PyPI; the last three read exports back). Idempotent; prints the venv path last.
#   WANDB_RS_ORACLE_VENV  venv location (default $HOME/.cache/wandb-rs/oracle-venv)
#   PYTHON                interpreter (default python3)
set -euo pipefail
VENV="${WANDB_RS_ORACLE_VENV:-$HOME/.cache/wandb-rs/oracle-venv}"
PYTHON="${PYTHON:-python3}"
PKGS=(wandb==0.31.0 tensorboard==2.21.0 tbparse==0.0.9 scikit-learn==1.9.1 pandas==3.1.1 pyarrow==26.0.1 h5py==3.16.0)

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi
have_all() {
  "$VENV/bin/python" - "${PKGS[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}
if ! have_all; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PKGS[@]}" >&2
  have_all || { echo "oracle-venv.sh: versions still do not match ${PKGS[*]}" >&2; exit 1; }
fi
echo "$VENV"
