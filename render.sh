#!/usr/bin/env bash
# Render every scene from nothing: installs what is missing, records the trajectories of the
# configured model where the cache lacks them, renders two scenes at a time, lists what it made.
set -uo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
usage: ./render.sh [--quality l|m|h|k] [--model MODEL] [--theme dark|light] [--slides] [--web] [--transparent]
                   [--out DIR] [--dry-run] [SCENE ...]

  SCENE         a scene class (ReverseProcess) or file:Class (reverse:ReverseProcessDDIM);
                all scenes when none is named. ./render.sh --list names them.
  --quality     l (480p15), m (720p30), h (1080p60, the default) or k (2160p60)
  --model       overrides `model` of diffviz.toml for this run (embedded, a hub id, a folder)
  --theme       dark (default) or light, for white slide decks
  --slides      also make a manim-slides presentation of the scenes: DIR/deck.html (reveal.js; speaker
                view on S) and DIR/deck.pptx (PowerPoint, one slide per slide break, notes included)
  --web         also write DIR/explorer/index.html: every recorded trajectory, to scrub through in a browser
                (opens by double-click, offline; `diffviz web --out DIR` makes it alone). With --slides,
                deck.html links to it
  --transparent also render each scene with a transparent background, as DIR/<Scene>.mov (for overlays)
  --out         the output folder (default out/<resolution>, out/<resolution>-light for --theme light)
  --dry-run     only say, per scene, `same` (up to date) or `render` (would be rendered); render nothing

Outputs, per scene, in DIR: <Scene>.mp4 (H.264, yuv420p), <Scene>.png (its last frame, the summary),
<Scene>.gif (short, looping), <Scene>.chapters.vtt and <Scene>.descriptions.vtt (WebVTT: a title and a
description in words of each slide, from its slide break to the next), <Scene>.stamp. A scene whose
inputs (its code and the project modules it imports, its trajectories, quality, versions) have not changed
since its outputs were made is not rendered again.
USAGE
}

# The scenes, in render order, as cache/experiments.py declares them: read with the system python3 (that module
# needs nothing else), so that --list answers before set-up.
if ! listed=$(python3 -m cache.experiments --scenes) || [ -z "$listed" ]; then
  echo "render.sh: cannot read the scenes from cache/experiments.py with python3 (see above)" >&2
  exit 1
fi
mapfile -t SCENES <<<"$listed"
quality=h model="" theme="" slides="" transparent="" web="" out="" dry_run="" picked=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --list) printf '%s\n' "${SCENES[@]}"; exit 0 ;;
    --quality) quality=${2:-}; shift 2 ;;
    --model) model=${2:-}; shift 2 ;;
    --theme) theme=${2:-}; shift 2 ;;
    --out) out=${2:-}; shift 2 ;;
    --slides) slides=--slides; shift ;;
    --web) web=1; shift ;;
    --transparent) transparent=--transparent; shift ;;
    --dry-run) dry_run=1; shift ;;
    -*) echo "render.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) picked+=("$1"); shift ;;
  esac
done
case "$quality" in
  l) resolution=480p15 ;; m) resolution=720p30 ;; h) resolution=1080p60 ;; k) resolution=2160p60 ;;
  *) echo "render.sh: --quality must be l, m, h or k, not '$quality'" >&2; exit 2 ;;
esac
case "$theme" in ""|dark|light) ;; *) echo "render.sh: --theme must be dark or light, not '$theme'" >&2; exit 2 ;; esac
[ -n "$theme" ] && export DIFFVIZ_THEME="$theme"
out=${out:-out/$resolution$([ "$theme" = light ] && echo -light)}
export DIFFVIZ_QUALITY=$quality

# What this run writes and reads is checked before anything is installed, recorded or rendered.
if [ -z "$dry_run" ]; then  # --out: made where missing; what exists of it must be folders that take files
  existing=$out
  while [ ! -e "$existing" ] && [ "$existing" != "$(dirname "$existing")" ]; do existing=$(dirname "$existing"); done
  if [ ! -d "$existing" ]; then
    echo "render.sh: --out $out: $existing is a file, not a folder; choose a folder (it is made where missing)" >&2
    exit 2
  fi
  if ! probe=$(mktemp -p "$existing" .diffviz-probe-XXXXXX 2>/dev/null); then
    echo "render.sh: --out $out: cannot write in $existing; choose a folder you can write in" >&2
    exit 2
  fi
  rm -f "$probe"
fi
if [ -n "${DIFFVIZ_CONFIG:-}" ] && [ ! -f "$DIFFVIZ_CONFIG" ]; then  # only the project's own may be absent
  echo "render.sh: DIFFVIZ_CONFIG=$DIFFVIZ_CONFIG does not exist; fix DIFFVIZ_CONFIG, or unset it for the" \
       "project's diffviz.toml" >&2
  exit 2
fi

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
if ! read_by=$(python3 -m cache.experiments --reads "${targets[@]}"); then exit 1; fi  # the experiments they read
mapfile -t experiments <<<"$read_by"
if [ -z "$dry_run" ] && ! diffviz cache build "${experiments[@]}"; then
  echo "render.sh: recording trajectories failed (see above)" >&2
  exit 1
fi

logs=""
if [ -z "$dry_run" ]; then logs=$(mktemp -d); mkdir -p "$out"; fi
render_one() {  # file:Class -> renders into $out unless up to date, logs to $logs, prints one status line
  local file=${1%%:*} cls=${1#*:}
  local stamp  # the digest of the scene's inputs, now: written beside its outputs once they are all there
  if stamp=$(python -m tools.stamp "$out" "$1" $slides $transparent 2>/dev/null); then
    echo "same    $cls"; return 0
  fi
  if [ -n "$dry_run" ]; then echo "render  $cls"; return 0; fi
  # each render keeps its own text and LaTeX caches: two at once would delete each other's files.
  # Siblings of media/Tex, not inside it: manim deletes every non-SVG entry of its tex_dir.
  printf '[CLI]\ntext_dir = {media_dir}/texts-%s\ntex_dir = {media_dir}/Tex-%s\n' "$cls" "$cls" >"$logs/$cls.cfg"
  local manim=(manim -q"$quality" --progress_bar none --config_file "$logs/$cls.cfg" --media_dir "$media"
               "scenes/$file.py" "$cls")
  local breaks="$media/videos/$file/$resolution/$cls.slides.json"  # the scene writes it: its slide breaks
  rm -f "$out/slides/$cls.json" "$out/$cls.mov" "$out/$cls.stamp" "$breaks"  # none of an older render may outlive it
  if ! (
      set -e
      if [ -n "$slides" ]; then  # a manim-slides Slide: the same video, cut at the slide breaks
        DIFFVIZ_SLIDES=1 DIFFVIZ_SLIDES_DIR="$out/slides" "${manim[@]}"
      else
        "${manim[@]}"
      fi
      cp "$media/videos/$file/$resolution/$cls.mp4" "$out/$cls.mp4"
      python -m tools.captions "$breaks" "$out"
      python -m tools.frames "$out/$cls.mp4" "$out" --still --gif
      if [ -n "$transparent" ]; then
        "${manim[@]}" --transparent
        cp "$media/videos/$file/$resolution/$cls.mov" "$out/$cls.mov"
      fi
      if [ -n "$stamp" ]; then echo "$stamp" >"$out/$cls.stamp"; fi
    ) >"$logs/$cls.log" 2>&1; then
    # nothing half-written stays: a failed scene leaves none of its outputs (an older render's are gone too)
    python -m tools.stamp "$out" "$1" --list-outputs | while IFS= read -r f; do rm -rf "$f"; done
    if grep -q "No space left on device" "$logs/$cls.log"; then
      echo "FAILED  $cls: the disk under $out is full, nothing of it was kept; free some space and render again"
    else
      echo "FAILED  $cls (log: $logs/$cls.log)"; tail -5 "$logs/$cls.log" | sed 's/^/        /'
    fi
    return 1
  fi
  echo "ok      $cls"
}
export -f render_one
media=${DIFFVIZ_MEDIA:-media}  # manim's working folder (partial movies, LaTeX); the tests use their own
export quality resolution out slides transparent logs media dry_run
status=0  # tools/bootstrap.sh set -e: a failed scene must not end the run before the summary
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'render_one "$@"' _ {} || status=$?
[ -z "$dry_run" ] || exit $((status != 0))

if [ -n "$web" ]; then  # before the deck, which links to it
  diffviz web --out "$out" || status=1
fi

if [ -n "$slides" ]; then
  classes=()
  for t in "${targets[@]}"; do [ -f "$out/slides/${t#*:}.json" ] && classes+=("${t#*:}"); done
  python -m tools.deck "$out" "${classes[@]}" || status=1
fi

made=$(
  for t in "${targets[@]}"; do
    python -m tools.stamp "$out" "$t" --list-outputs | while IFS= read -r f; do
      case "$f" in "$out"/slides/*|*.stamp) continue ;; esac  # the deck's parts and the stamp are not shown
      if [ -f "$f" ]; then printf '  %-44s %6s\n' "${f#"$out"/}" "$(du -h "$f" | cut -f1)"; fi
    done
  done
  for f in "$out"/deck.html "$out"/deck.pptx; do
    if [ -f "$f" ]; then printf '  %-44s %6s\n' "${f#"$out"/}" "$(du -h "$f" | cut -f1)"; fi
  done
  if [ -n "$web" ] && [ -f "$out/explorer/index.html" ]; then
    printf '  %-44s %6s\n' "explorer/index.html (the folder)" "$(du -sh "$out/explorer" | cut -f1)"
  fi
)
if [ -n "$made" ]; then printf '\nmade, in %s:\n%s\n' "$out" "$made"; fi
exit $((status != 0))
