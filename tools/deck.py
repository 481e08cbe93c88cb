"""The talk's decks from the scenes' slides (render.sh --slides): `python tools/deck.py OUT Scene ...` writes
OUT/deck.html (reveal.js, speaker notes on S) and OUT/deck.pptx from OUT/slides, with manim-slides.

The HTML deck is made self-contained (reveal.js copied next to it, for a lecture hall without internet)
where reveal.js can be had: manim-slides' own download, or else npm's registry; failing both, it loads
reveal.js from the jsDelivr CDN when opened."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CDN = re.compile(r'"(https://cdn\.jsdelivr\.net/npm/reveal\.js@([\d.]+)/([^"]+))"')


def relative_paths(out: Path, scenes: list[str]) -> None:
    """manim-slides stores a slide's file as the path it wrote (out/.../slides/files/S/x.mp4) but reads it
    relative to the slides folder's parent: store slides/files/S/x.mp4, which also survives copying OUT."""
    for scene in scenes:
        path = out / "slides" / f"{scene}.json"
        try:
            deck = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise SystemExit(f"deck: {path} cannot be read ({err}); make it again with "
                             f"`./render.sh --slides {scene}`") from None
        for slide in deck["slides"]:
            for key in ("file", "rev_file"):
                if slide.get(key):
                    slide[key] = f"slides/files/{scene}/{Path(slide[key]).name}"
        path.write_text(json.dumps(deck, indent=2))


def convert(out: Path, scenes: list[str], dest: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["manim-slides", "convert", "--folder", str(out / "slides"), *extra, *scenes,
                           str(out / dest)], capture_output=True, text=True)


def cache_revealjs_from_npm(html: str) -> None:
    """Put the reveal.js files that the deck links to into manim-slides' asset cache, from the npm package."""
    from platformdirs import user_cache_path
    links = CDN.findall(html)
    if not links or not shutil.which("npm"):
        return
    version = links[0][1]
    cache = user_cache_path("manim-slides") / f"revealjs{version}"
    if all((cache / path.rsplit("/", 1)[1]).exists() for _, _, path in links):
        return
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(["npm", "pack", f"reveal.js@{version}", "--silent"], cwd=tmp, capture_output=True,
                                text=True, timeout=120)
        if packed.returncode != 0:
            return
        with tarfile.open(Path(tmp) / packed.stdout.strip().splitlines()[-1]) as tar:
            cache.mkdir(parents=True, exist_ok=True)
            for _, _, path in links:
                try:
                    member = tar.extractfile(f"package/{path}")
                except KeyError:
                    continue
                if member is not None:
                    (cache / path.rsplit("/", 1)[1]).write_bytes(member.read())


def main(out: Path, scenes: list[str]) -> int:
    if not scenes:
        print("deck: no scene has slides; nothing to convert", file=sys.stderr)
        return 1
    relative_paths(out, scenes)
    online = convert(out, scenes, "deck.html")
    if online.returncode != 0:
        print(f"deck: manim-slides convert failed:\n{online.stderr}", file=sys.stderr)
        return 1
    try:
        cache_revealjs_from_npm((out / "deck.html").read_text())
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as err:
        print(f"deck: could not fetch reveal.js from npm ({err})", file=sys.stderr)
    if convert(out, scenes, "deck.html", "--offline", "--revealjs-assets-timeout", "5").returncode != 0:
        convert(out, scenes, "deck.html")
        print("deck: reveal.js could not be downloaded here; deck.html loads it from the jsDelivr CDN when "
              "opened (run ./render.sh --slides once with internet for a self-contained deck)", file=sys.stderr)
    pptx = convert(out, scenes, "deck.pptx", "--to", "pptx")
    if pptx.returncode != 0:
        print(f"deck: PowerPoint conversion failed:\n{pptx.stderr}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
