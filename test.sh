#!/usr/bin/env bash
# Every test, on a fresh machine too: installs what is missing, then runs pytest on both cores (pytest-xdist,
# a module's tests in one worker). ./test.sh -m "not slow": the fast tier, without renders, browsers and
# training; arguments go to pytest (-n 0: one process).
set -euo pipefail
cd "$(dirname "$0")"
DIFFVIZ_BOOTSTRAP_FOR=tests source tools/bootstrap.sh
export HF_HUB_OFFLINE=1
ruff check .  # rules E, F, W, I, B at 120 columns (pyproject.toml)
exec python -m pytest -q -n 2 --dist loadfile "$@"
