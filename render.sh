#!/usr/bin/env bash
# Render every scene from nothing: installs what is missing, records the trajectories of the
# configured model where the cache lacks them, renders two scenes at a time, lists what it made.
set -uo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
usage: ./render.sh [--quality l|m|h|k] [--model MODEL] [--theme dark|light] [SCENE ...]

  SCENE     a scene class (ReverseProcess) or file:Class (reverse:ReverseProcessDDIM);
            all scenes when none is named. ./render.sh --list names them.
  --quality l (480p15), m (720p30), h (1080p60, the default) or k (2160p60)
  --model   overrides `model` of diffviz.toml for this run (embedded, a hub id, a folder)
  --theme   dark (default) or light, for white slide decks
Outputs: media/videos/<file>/<resolution>/<Scene>.mp4, and its last frame as media/stills/<Scene>.png
USAGE
}

SCENES=(forward:ForwardProcess reverse:ReverseProcess reverse:ReverseProcessDDIM similar_noise:PatchPerturbation
        similar_noise:GlobalPerturbation similar_noise:PerturbationSweep forward_backward:NoiseThenDenoise
        forward_backward:NoiseDenoiseGrid ddim_steps:DdimStepCounts toy:ToyDiffusion1D toy:ToyDiffusion2D
        memorisation:GeneraliseOrMemorise)
quality=h model="" theme="" picked=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --list) printf '%s\n' "${SCENES[@]}"; exit 0 ;;
    --quality) quality=${2:-}; shift 2 ;;
    --model) model=${2:-}; shift 2 ;;
    --theme) theme=${2:-}; shift 2 ;;
    -*) echo "render.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) picked+=("$1"); shift ;;
  esac
done
case "$quality" in l|m|h|k) ;; *) echo "render.sh: --quality must be l, m, h or k, not '$quality'" >&2; exit 2 ;; esac
case "$theme" in ""|dark|light) ;; *) echo "render.sh: --theme must be dark or light, not '$theme'" >&2; exit 2 ;; esac
[ -n "$theme" ] && export DIFFVIZ_THEME="$theme"

source tools/bootstrap.sh || exit 1

if [ -n "$model" ]; then  # a settings file for this run, the project's with the model replaced
  tmp_config=$(mktemp --suffix=.toml)
  trap 'rm -f "$tmp_config"' EXIT
  python - "$model" "$tmp_config" <<'PY'
import json, sys
from cache.config import config_path
lines = [l for l in config_path().read_text().splitlines() if not l.startswith("model ")] if config_path().exists() else []
open(sys.argv[2], "w").write("\n".join([f"model = {json.dumps(sys.argv[1])}", *lines]) + "\n")
PY
  export DIFFVIZ_CONFIG="$tmp_config"
fi

targets=()
if ((${#picked[@]})); then
  for p in "${picked[@]}"; do
    match=""
    for s in "${SCENES[@]}"; do [[ "$s" == "$p" || "${s#*:}" == "$p" ]] && match=$s; done
    [ -n "$match" ] || { echo "render.sh: no scene '$p'; ./render.sh --list names them" >&2; exit 2; }
    targets+=("$match")
  done
else
  targets=("${SCENES[@]}")
fi

# Record what the scenes need once, before rendering two at a time (they would race for it).
mapfile -t experiments < <(printf '%s\n' "${targets[@]}" | cut -d: -f1 | sort -u)
if ! diffviz cache build "${experiments[@]}"; then
  echo "render.sh: recording trajectories failed (see above)" >&2
  exit 1
fi

logs=$(mktemp -d)
render_one() {  # file:Class -> renders, logs to $logs, prints one status line
  local file=${1%%:*} cls=${1#*:}
  # each render keeps its own text and LaTeX caches: two at once would delete each other's files.
  # Siblings of media/Tex, not inside it: manim deletes every non-SVG entry of its tex_dir.
  printf '[CLI]\ntext_dir = {media_dir}/texts-%s\ntex_dir = {media_dir}/Tex-%s\n' "$cls" "$cls" >"$logs/$cls.cfg"
  if manim -q"$quality" --progress_bar none --config_file "$logs/$cls.cfg" "scenes/$file.py" "$cls" >"$logs/$cls.log" 2>&1; then
    video=$(ls -t media/videos/"$file"/*/"$cls".mp4 | head -1)
    python tools/frames.py "$video" media/stills --still
    echo "ok      $cls"
  else
    echo "FAILED  $cls (log: $logs/$cls.log)"; tail -5 "$logs/$cls.log" | sed 's/^/        /'
    return 1
  fi
}
export -f render_one
export quality logs
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'render_one "$@"' _ {}
status=$?

echo
echo "made:"
for t in "${targets[@]}"; do
  f=$(ls -t media/videos/"${t%%:*}"/*/"${t#*:}".mp4 2>/dev/null | head -1)
  [ -n "$f" ] && printf '  %-60s %s\n' "$f" "$(du -h "$f" | cut -f1)"
  s="media/stills/${t#*:}.png"
  [ -f "$s" ] && printf '  %-60s %s\n' "$s" "$(du -h "$s" | cut -f1)"
done
exit $((status != 0))
