"""Pull frames out of a rendered video as PNG: `python tools/frames.py VIDEO.mp4 OUT_DIR 1.5 4 10` (seconds),
`--every 5` for one frame every 5 seconds, `--sheet` for one contact sheet of them all, or
`--still` for the scene's last frame (its summary) as OUT_DIR/<Scene>.png, or `--gif` for a short looping
GIF of the whole video as OUT_DIR/<Scene>.gif (at most 12 s at 10 frames a second, 480 pixels wide: the
video sped up where it is longer); `--still --gif` makes both from one decoding of the video."""
from __future__ import annotations

import argparse
import sys
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


GIF_SECONDS, GIF_FPS, GIF_WIDTH = 12, 10, 480


def gif_times(length: float) -> list[float]:
    """The video times a GIF shows: the whole video, sped up to at most GIF_SECONDS."""
    n = max(2, int(min(length, GIF_SECONDS) * GIF_FPS))
    return [i * length / n for i in range(n)]


def save_gif(images: list[Image.Image], path: Path) -> None:
    """A looping GIF, GIF_WIDTH wide. One palette for all frames, taken from 16 of them: the parts
    that do not change are then the same bytes in every frame, which the encoder leaves out (half
    the size of a palette per frame, no visible difference)."""
    height = round(images[0].height * GIF_WIDTH / images[0].width / 2) * 2
    small = [im.resize((GIF_WIDTH, height), Image.Resampling.LANCZOS) for im in images]
    sample = small[::max(1, len(small) // 16)]
    montage = Image.new("RGB", (GIF_WIDTH, height * len(sample)))
    for i, im in enumerate(sample):
        montage.paste(im.convert("RGB"), (0, i * height))
    palette = montage.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    frames = [im.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for im in small]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=1000 // GIF_FPS, loop=0, optimize=True)


def saved(save, path: Path) -> None:
    """save(file) writes an image file aside, renamed onto `path` when whole: a full disk leaves no half of
    it, and says so in one line."""
    from cache.outputs import OutputError, written_aside
    try:
        with written_aside(path) as staged:
            save(staged)
    except OutputError as err:
        sys.exit(f"frames: {err}")


def check(video: Path, out: Path) -> None:
    """Before decoding: the video can be read whole enough to start, and OUT can be made and written."""
    from cache.outputs import OutputError, check_folder
    if not video.is_file():
        sys.exit(f"frames: {video}: {'a folder' if video.is_dir() else 'no such file'}; give a video file (.mp4)")
    try:
        with av.open(str(video)) as container:
            if not container.streams.video or not container.duration:
                raise av.error.InvalidDataError(0, "no video stream")
    except (av.error.FFmpegError, OSError) as err:
        sys.exit(f"frames: {video} is not a video PyAV can read ({getattr(err, 'strerror', None) or err}); "
                 "give a video that ./render.sh made")
    try:
        check_folder(out)
    except OutputError as err:
        sys.exit(f"frames: {err}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("video", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("seconds", type=float, nargs="*")
    ap.add_argument("--every", type=float)
    ap.add_argument("--sheet", action="store_true", help="one PNG of all frames, 3 to a row")
    ap.add_argument("--still", action="store_true", help="the last frame, as OUT/<video name>.png")
    ap.add_argument("--gif", action="store_true", help="a short looping GIF, as OUT/<video name>.gif")
    a = ap.parse_args()
    check(a.video, a.out)
    if a.still or a.gif:  # one decode of the video for both
        length = duration(a.video)
        images = grab(a.video, (gif_times(length) if a.gif else []) + ([length - 0.1] if a.still else []))
        a.out.mkdir(parents=True, exist_ok=True)
        if a.still:
            saved(images.pop().save, a.out / f"{a.video.stem}.png")
        if a.gif:
            saved(lambda file: save_gif(images, file), a.out / f"{a.video.stem}.gif")
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
        saved(sheet.save, a.out / f"{a.video.stem}-sheet.png")
    else:
        for s, im in zip(seconds, images, strict=False):
            saved(im.save, a.out / f"{a.video.stem}-{s:06.2f}.png")


if __name__ == "__main__":
    main()
