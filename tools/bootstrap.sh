# Sourced by ./test.sh and ./render.sh: install what is missing, then use .venv.
# apt packages (as root), a .venv, torch 2.13.0 (the CPU wheel where this machine has it), diffviz.
set -euo pipefail
APT_PACKAGES=(libpango1.0-dev libcairo2-dev pkg-config texlive-latex-base texlive-latex-recommended
              texlive-latex-extra texlive-fonts-recommended dvisvgm fonts-noto-color-emoji)
# ./test.sh: tests/test_explorer.py opens the explorer in Debian's chromium (driven by playwright, a test extra)
[ "${DIFFVIZ_BOOTSTRAP_FOR:-}" = tests ] && APT_PACKAGES+=(chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install: ${missing[*]}" >&2
  fi
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=".venv/.diffviz-$(cat pyproject.toml | sha256sum | cut -c1-16)"
# a linked .venv (a test's copy of the project, a worktree) belongs to another checkout: installing
# diffviz from here would point that checkout's editable install at this one
if [ ! -e "$stamp" ] && [ ! -L .venv ]; then
  echo "bootstrap: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned, so nothing pulls a multi-GB CUDA build where the CPU wheel will do
  .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==${DIFFVIZ_TORCH:-2.13.0}"
  .venv/bin/python -m pip install -q -e ".[test,slides,docs,notebooks]"
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
