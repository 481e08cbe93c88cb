"""Pull frames out of a rendered video as PNG: `python tools/frames.py VIDEO.mp4 OUT_DIR 1.5 4 10` (seconds),
`--every 5` for one frame every 5 seconds, `--sheet` for one contact sheet of them all, or
`--still` for the scene's last frame (its summary) as OUT_DIR/<Scene>.png."""
from __future__ import annotations

import argparse
from pathlib import Path

import av
from PIL import Image


def grab(video: Path, seconds: list[float]) -> list[Image.Image]:
    wanted, found = sorted(seconds), []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            while wanted and frame.time >= wanted[0]:
                found.append(frame.to_image())
                wanted.pop(0)
            if not wanted:
                break
    return found


def duration(video: Path) -> float:
    with av.open(str(video)) as container:
        return container.duration / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("video", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("seconds", type=float, nargs="*")
    ap.add_argument("--every", type=float)
    ap.add_argument("--sheet", action="store_true", help="one PNG of all frames, 3 to a row")
    ap.add_argument("--still", action="store_true", help="the last frame, as OUT/<video name>.png")
    a = ap.parse_args()
    if a.still:
        a.out.mkdir(parents=True, exist_ok=True)
        grab(a.video, [duration(a.video) - 0.1])[-1].save(a.out / f"{a.video.stem}.png")
        return
    seconds = a.seconds or [i * a.every for i in range(int(duration(a.video) / a.every) + 1)]
    images = grab(a.video, seconds)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.sheet:
        w, h = images[0].size
        cols = 3
        sheet = Image.new("RGB", (cols * w, -(-len(images) // cols) * h), "gray")
        for i, im in enumerate(images):
            sheet.paste(im, ((i % cols) * w, (i // cols) * h))
        sheet.save(a.out / f"{a.video.stem}-sheet.png")
    else:
        for s, im in zip(seconds, images):
            im.save(a.out / f"{a.video.stem}-{s:06.2f}.png")


if __name__ == "__main__":
    main()
