#!/usr/bin/env bash
# Creates (or reuses) the cached Python venv holding the libtorch that the
# tch integration (integrations/tch, tch 0.26.0) builds and links against:
# torch==2.13.0 without its dependencies plus the two NVIDIA runtime wheels
# its shared libraries need at load time (about 540 MB download, 1.2 GB
# installed; CPU use only). Idempotent; prints the LIBTORCH path last.
#   WANDB_RS_TORCH_VENV  venv location (default $HOME/.cache/wandb-rs/torch-venv)
#   PYTHON               interpreter (default python3)
# Use: export LIBTORCH=$(scripts/libtorch-venv.sh)
set -euo pipefail
VENV="${WANDB_RS_TORCH_VENV:-$HOME/.cache/wandb-rs/torch-venv}"
PYTHON="${PYTHON:-python3}"
PKGS=(torch==2.13.0 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85)

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
        if version(name).split("+")[0] != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}
if ! have_all; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "${PKGS[@]}" >&2
  have_all || { echo "libtorch-venv.sh: versions still do not match ${PKGS[*]}" >&2; exit 1; }
fi
# torch's package directory (lib/, include/, share/) is what tch calls LIBTORCH.
LIBTORCH=$("$VENV/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("torch")
print(os.path.dirname(spec.origin))
PY
)
[ -f "$LIBTORCH/lib/libtorch_cpu.so" ] || { echo "libtorch-venv.sh: $LIBTORCH/lib/libtorch_cpu.so missing" >&2; exit 1; }
echo "$LIBTORCH"
