"""Scene rendering, side by side in one process: Manim's own image drawing against PanelCamera's.

    python benchmarks/render.py [--quality l|m|h|k] [SCENE ...]     # all scenes at 1080p60 by default

From a filled cache (it runs `diffviz cache build` for the scenes first, untimed). For each scene:
1. the bound: the fast path's frames encoded alone as the scenes' writer encodes them (libx264, crf 23,
   yuv420p, the scenes' preset, frames handed over as scenes/kit/encoding.py does), from the RGBA arrays the
   renderer hands the writer, so the colour conversion is counted. No drawing code can beat it. The
   frames come from a dry render (which also fills the LaTeX and text caches for what follows), encoded
   in chunks of about 1 GB, each chunk timed from its first frame to its last;
2. a render with Manim's Camera (stock_s) and one with PanelCamera (fast_s), both writing the video
   as `manim` does, each frame's CRC-32 taken as the renderer hands it to the writer (inside the
   timing, so both pay it);
3. the frames of both renders compared: `frames=equal`, or how many differ and by how much at most;
Prints per scene
    render SCENE frames=N stock_s=X fast_s=Y speedup=X/Y fast_s_per_frame=Z bound_s_per_frame=B ratio=Z/B
           frames=equal
and a `render-total` line with the same fields summed. Both speedups are needed to read it: stock_s
renders today's scenes (whose text no longer costs a LaTeX run or an SVG parse every frame) with Manim's
image drawing, so `speedup` is PanelCamera's alone. (Against the scenes as they were before PanelCamera and
the per-step text, revision dced7a4, the docs' performance page keeps the figures this script measured then.)
"""
from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from manim import Camera, tempconfig
from manim.constants import QUALITIES

from scenes.kit.encoding import X264_PRESET, video_frame
from scenes.kit.panel_camera import PanelCamera

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)  # manim.cfg

QUALITY = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}
CHUNK_BYTES = 1 << 30
def scenes() -> list[tuple[str, str]]:
    listed = subprocess.run([str(ROOT / "render.sh"), "--list"], capture_output=True, text=True, check=True)
    return [tuple(line.split(":")) for line in listed.stdout.split()]


def settings(quality: str, media: str, dry: bool) -> dict:
    q = QUALITIES[QUALITY[quality]]
    return {"pixel_height": q["pixel_height"], "pixel_width": q["pixel_width"], "frame_rate": q["frame_rate"],
            "media_dir": media, "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING",
            "dry_run": dry}


def render(cls, camera_class: type, config: dict, each_frame) -> float:
    """Seconds to render the scene with camera_class; each_frame(frame, repeats) sees every frame
    the renderer hands the writer, before the writer does."""
    with tempconfig(config):
        scene = cls(camera_class=camera_class)
        add_frame = scene.renderer.add_frame

        def watched(frame, num_frames=1):
            each_frame(frame, num_frames)
            add_frame(frame, num_frames)

        scene.renderer.add_frame = watched
        start = time.perf_counter()
        scene.render()
        return time.perf_counter() - start


class Encoder:
    """The scenes' encoder settings on a throwaway file; times the encoding of whole chunks of frames."""

    def __init__(self, path: Path, width: int, height: int, fps: int):
        self.container = av.open(str(path), mode="w")
        options = {"crf": "23", "preset": X264_PRESET}
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps), options=options)
        self.stream.pix_fmt, self.stream.width, self.stream.height = "yuv420p", width, height
        self.pending: list[tuple[np.ndarray, int]] = []
        self.seconds = 0.0

    def add(self, frame: np.ndarray, repeats: int) -> None:
        self.pending.append((frame.copy(), repeats))
        if len(self.pending) * frame.nbytes >= CHUNK_BYTES:
            self.encode_pending()

    def encode_pending(self, last: bool = False) -> None:
        start = time.perf_counter()
        for frame, repeats in self.pending:
            for _ in range(repeats):  # as the scenes' writer does: a new av frame per repeat
                self.container.mux(self.stream.encode(video_frame(frame)))
        if last:
            self.container.mux(self.stream.encode())
        self.seconds += time.perf_counter() - start
        self.pending = []
        if last:
            self.container.close()


def measure(file: str, cls_name: str, quality: str, media: str) -> dict:
    cls = getattr(importlib.import_module(f"scenes.{file}"), cls_name)
    crcs: dict[str, list[int]] = {"stock": [], "fast": []}

    def crc_into(name):
        return lambda frame, repeats: crcs[name].extend([zlib.crc32(frame)] * repeats)

    # the bound first: its dry render also fills the LaTeX and text caches for both timed renders
    config = settings(quality, media, dry=True)
    with tempfile.TemporaryDirectory() as tmp:
        encoder = Encoder(Path(tmp) / "bound.mp4", config["pixel_width"], config["pixel_height"], config["frame_rate"])
        render(cls, PanelCamera, config, encoder.add)
        encoder.encode_pending(last=True)
    bound_s = encoder.seconds

    stock_s = render(cls, Camera, settings(quality, media, dry=False), crc_into("stock"))
    fast_s = render(cls, PanelCamera, settings(quality, media, dry=False), crc_into("fast"))
    frames = len(crcs["fast"])

    differing = [n for n, (a, b) in enumerate(zip(crcs["stock"], crcs["fast"], strict=False)) if a != b]
    if len(crcs["stock"]) != frames:
        equality = f"frames=different-counts({len(crcs['stock'])},{frames})"
    elif not differing:
        equality = "frames=equal"
    else:  # render both again, dry, keeping the differing frames, for the largest difference
        kept: dict[str, dict[int, np.ndarray]] = {"stock": {}, "fast": {}}
        wanted = set(differing)
        for name, camera in (("stock", Camera), ("fast", PanelCamera)):
            count = [0]

            def keep(frame, repeats, name=name, count=count):
                for n in range(count[0], count[0] + repeats):
                    if n in wanted:
                        kept[name][n] = frame.copy()
                count[0] += repeats

            render(cls, camera, config, keep)
        worst = max(int(np.abs(kept["stock"][n].astype(int) - kept["fast"][n]).max()) for n in differing)
        equality = f"frames_differing={len(differing)} max_difference={worst}/255"
    return {"frames": frames, "stock_s": stock_s, "fast_s": fast_s, "bound_s": bound_s, "equality": equality}


def line(name: str, m: dict) -> str:
    per_frame, bound = m["fast_s"] / m["frames"], m["bound_s"] / m["frames"]
    return (f"{name} frames={m['frames']} stock_s={m['stock_s']:.1f} fast_s={m['fast_s']:.1f} "
            f"speedup={m['stock_s'] / m['fast_s']:.2f} fast_s_per_frame={per_frame:.4f} "
            f"bound_s_per_frame={bound:.4f} ratio={per_frame / bound:.2f} {m['equality']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenes", nargs="*", help="scene classes (all by default)")
    ap.add_argument("--quality", choices="lmhk", default="h")
    a = ap.parse_args()
    known = scenes()
    picked = [s for s in known if not a.scenes or s[1] in a.scenes]
    unknown = set(a.scenes) - {cls for _, cls in known}
    if unknown:
        ap.error(f"no scene {', '.join(sorted(unknown))}; ./render.sh --list names them")
    experiments = sorted({file for file, _ in picked})
    subprocess.run([sys.executable, "-m", "sampling.cli", "cache", "build", *experiments], check=True,
                   stdout=subprocess.DEVNULL)
    total = {"frames": 0, "stock_s": 0.0, "fast_s": 0.0, "bound_s": 0.0}
    equal = True
    with tempfile.TemporaryDirectory() as media:
        for file, cls in picked:
            m = measure(file, cls, a.quality, media)
            print(line(f"render {cls}", m), flush=True)
            for key in total:
                total[key] += m[key]
            equal = equal and m["equality"] == "frames=equal"
    print(line("render-total", total | {"equality": "frames=equal" if equal else "frames=not-all-equal"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
