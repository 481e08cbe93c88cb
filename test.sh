#!/usr/bin/env bash
# Every test, on a fresh machine too: installs what is missing, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")"
DIFFVIZ_BOOTSTRAP_FOR=tests source tools/bootstrap.sh
export HF_HUB_OFFLINE=1
ruff check .  # rules E, F, W, I, B at 120 columns (pyproject.toml)
exec python -m pytest -q "$@"
