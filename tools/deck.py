"""The talk's decks from the scenes' slides (render.sh --slides): `python tools/deck.py OUT Scene ...` writes
OUT/deck.html (reveal.js, speaker notes on S) and OUT/deck.pptx from OUT/slides, with manim-slides.
Each slide of deck.html carries its chapter title and description (OUT/<Scene>.*.vtt) for screen readers;
deck.html links to OUT/explorer/ where render.sh --web made it.

The HTML deck is made self-contained (reveal.js copied next to it, for a lecture hall without internet)
where reveal.js can be had: manim-slides' own download, or else npm's registry; failing both, it loads
reveal.js from the jsDelivr CDN when opened."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from cache.outputs import OutputError, written_aside
from tools.captions import read_cues

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


SECTION = re.compile(r'<section\b[^>]*\bdata-background-video="([^"]+)"[^>]*>')
HIDDEN = ("<style>.diffviz-description{position:absolute;width:1px;height:1px;overflow:hidden;"
          "clip:rect(0 0 0 0);white-space:nowrap}</style>")


def describe_slides(out: Path, scenes: list[str]) -> None:
    """Give each slide of deck.html its title and description, from the scene's .chapters.vtt and
    .descriptions.vtt, as text that is not seen but read: reveal.js announces a slide's text to screen
    readers as it is shown (its aria-live status), and the slide's video has none."""
    texts = []
    for scene in scenes:
        slides = json.loads((out / "slides" / f"{scene}.json").read_text())["slides"]
        try:
            titles, descriptions = (read_cues(out / f"{scene}.{track}.vtt") for track in ("chapters", "descriptions"))
        except (OSError, StopIteration, ValueError):
            titles = descriptions = []
        if len(titles) != len(slides) or len(descriptions) != len(slides):
            print(f"deck: {scene}'s slides have no descriptions ({len(slides)} slides, {len(descriptions)} cues)",
                  file=sys.stderr)
            titles = descriptions = [None] * len(slides)
        texts += [(Path(slide["file"]).name, t, d) for slide, t, d in zip(slides, titles, descriptions, strict=False)]
    deck = out / "deck.html"
    page = deck.read_text()
    sections = list(SECTION.finditer(page))
    if len(sections) != len(texts) or any(not m[1].endswith(name)
                                          for m, (name, _, _) in zip(sections, texts, strict=True)):
        print("deck: deck.html's slides are not the scenes' slides; it has no descriptions", file=sys.stderr)
        return
    parts, last = [], 0
    for match, (_, title, description) in zip(sections, texts, strict=False):
        parts.append(page[last:match.end()])
        if title is not None:
            parts.append(f'<div class="diffviz-description"><h2>{html.escape(title[2])}</h2>'
                         f'<p>{html.escape(description[2])}</p></div>')
        last = match.end()
    page = "".join(parts) + page[last:]
    page = page.replace("</head>", HIDDEN + "\n</head>", 1)
    with written_aside(deck) as staged:  # a full disk leaves no half of it
        staged.write_text(page)


def failure(what: str, out: Path, stderr: str) -> str:
    """One line for a failed manim-slides convert: a full disk by name, else the last line it printed."""
    if "No space left on device" in stderr:
        return f"deck: {what} was not written: the disk under {out} is full; free some space and render again"
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "no message")
    return f"deck: {what} failed ({last})"


def convert(out: Path, scenes: list[str], dest: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["manim-slides", "convert", "--folder", str(out / "slides"), *extra, *scenes,
                           str(out / dest)], capture_output=True, text=True)


def npm_tarball(package: str, folder: Path) -> Path | None:
    """`npm pack PACKAGE@VERSION` into folder: the package's tarball from npm's registry (package/... inside);
    None where npm is missing or cannot reach the registry."""
    if not shutil.which("npm"):
        return None
    packed = subprocess.run(["npm", "pack", package, "--silent"], cwd=folder, capture_output=True, text=True,
                            timeout=120)
    if packed.returncode != 0 or not packed.stdout.strip():
        return None
    return folder / packed.stdout.strip().splitlines()[-1]


def cache_revealjs_from_npm(html: str) -> None:
    """Put the reveal.js files that the deck links to into manim-slides' asset cache, from the npm package."""
    from platformdirs import user_cache_path
    links = CDN.findall(html)
    if not links:
        return
    version = links[0][1]
    cache = user_cache_path("manim-slides") / f"revealjs{version}"
    if all((cache / path.rsplit("/", 1)[1]).exists() for _, _, path in links):
        return
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_tarball(f"reveal.js@{version}", Path(tmp))
        if tarball is None:
            return
        with tarfile.open(tarball) as tar:
            cache.mkdir(parents=True, exist_ok=True)
            for _, _, path in links:
                try:
                    member = tar.extractfile(f"package/{path}")
                except KeyError:
                    continue
                if member is not None:
                    (cache / path.rsplit("/", 1)[1]).write_bytes(member.read())


EXPLORER_LINK = ('<a id="diffviz-explorer" href="explorer/index.html" style="position: fixed; right: 1em; bottom: 1em; '
                 'z-index: 40; font: 16px sans-serif; color: inherit; opacity: 0.7">explorer: scrub the recordings</a>')


def link_explorer(out: Path) -> bool:
    """Where OUT/explorer/ was made too (render.sh --web), a link to it in a corner of every slide of deck.html."""
    deck, page = out / "deck.html", out / "explorer" / "index.html"
    if not (deck.exists() and page.exists()):
        return False
    html = deck.read_text()
    if 'id="diffviz-explorer"' not in html:
        with written_aside(deck) as staged:
            staged.write_text(html.replace("</body>", EXPLORER_LINK + "\n</body>", 1))
    return True


def main(out: Path, scenes: list[str]) -> int:
    """Write OUT/deck.html and OUT/deck.pptx; where either fails (a full disk), neither half of it stays."""
    try:
        made = write_decks(out, scenes)
    except OutputError as err:
        made = 1
        print(f"deck: {err}", file=sys.stderr)
    except OSError as err:
        made = 1
        print(f"deck: {out} cannot be written ({err.strerror or err}); free some space or choose another --out",
              file=sys.stderr)
    if made:
        for name in ("deck.html", "deck.pptx"):
            (out / name).unlink(missing_ok=True)
    return made


def write_decks(out: Path, scenes: list[str]) -> int:
    if not scenes:
        print("deck: no scene has slides; nothing to convert", file=sys.stderr)
        return 1
    relative_paths(out, scenes)
    online = convert(out, scenes, "deck.html")
    if online.returncode != 0:
        print(failure("deck.html", out, online.stderr), file=sys.stderr)
        return 1
    try:
        cache_revealjs_from_npm((out / "deck.html").read_text())
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as err:
        print(f"deck: could not fetch reveal.js from npm ({err})", file=sys.stderr)
    if convert(out, scenes, "deck.html", "--offline", "--revealjs-assets-timeout", "5").returncode != 0:
        convert(out, scenes, "deck.html")
        print("deck: reveal.js could not be downloaded here; deck.html loads it from the jsDelivr CDN when "
              "opened (run ./render.sh --slides once with internet for a self-contained deck)", file=sys.stderr)
    describe_slides(out, scenes)
    link_explorer(out)
    pptx = convert(out, scenes, "deck.pptx", "--to", "pptx")
    if pptx.returncode != 0:
        print(failure("deck.pptx", out, pptx.stderr), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
