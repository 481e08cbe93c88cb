"""A scene's text alternative, as two WebVTT tracks: `python tools/captions.py SLIDES_JSON OUT_DIR` reads the
`<Scene>.slides.json` that a render writes beside its video (scenes/kit/base.py: the time of each slide break,
its title and description) and writes OUT_DIR/<Scene>.chapters.vtt (one title per slide, for a chapter
menu) and OUT_DIR/<Scene>.descriptions.vtt (what the frames show, for viewers who cannot see them). Each
cue runs from its slide break to the next, the last to the video's end. Files are written aside and
renamed into place."""
from __future__ import annotations

import html
import json
import sys
import textwrap
from pathlib import Path

from cache.outputs import written_aside

TRACKS = {"chapters": "title", "descriptions": "description"}  # track -> the slide's text it carries


def timestamp(seconds: float) -> str:
    """WebVTT's HH:MM:SS.mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def cues(record: dict, key: str) -> list[tuple[float, float, str]]:
    """(start, end, text) per slide break of a slides record, `key` naming the text."""
    slides, end = record["slides"], record["duration"]
    starts = [s["time"] for s in slides]
    ends = starts[1:] + [end]
    for slide, start, stop in zip(slides, starts, ends, strict=False):
        if not stop > start:
            raise ValueError(f"{record['scene']}: the slide {slide['title']!r} at {start:.3f} s lasts no time "
                             f"(the next break or the end is at {stop:.3f} s): play something before the next slide()")
        if not slide[key].strip():
            raise ValueError(f"{record['scene']}: the slide at {start:.3f} s has no {key}")
    return [(start, stop, slide[key]) for slide, start, stop in zip(slides, starts, ends, strict=False)]


def vtt(track: list[tuple[float, float, str]], width: int = 72) -> str:
    """A WebVTT file of (start, end, text) cues; text escaped (&, <, >) and wrapped to `width`."""
    blocks = ["WEBVTT"]
    for n, (start, end, text) in enumerate(track, start=1):
        lines = textwrap.wrap(html.escape(" ".join(text.split()), quote=False), width)
        blocks.append(f"{n}\n{timestamp(start)} --> {timestamp(end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def read_cues(path: Path) -> list[tuple[str, str, str]]:
    """(start, end, text) of each cue of a WebVTT file written by vtt(), times as written."""
    found = []
    for block in path.read_text().split("\n\n")[1:]:
        lines = block.strip().splitlines()
        timing = next(i for i, line in enumerate(lines) if " --> " in line)
        start, end = lines[timing].split(" --> ")
        found.append((start, end.split()[0], html.unescape(" ".join(lines[timing + 1:]))))
    return found


def write_tracks(slides_json: Path, out: Path) -> list[Path]:
    record = json.loads(slides_json.read_text())
    written = []
    for track, key in TRACKS.items():
        path = out / f"{record['scene']}.{track}.vtt"
        with written_aside(path) as staged:  # a full disk leaves no half of it
            staged.write_text(vtt(cues(record, key)))
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        write_tracks(Path(sys.argv[1]), Path(sys.argv[2]))
    except (OSError, ValueError, KeyError) as err:
        sys.exit(f"captions: {err}")
