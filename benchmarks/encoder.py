"""Why the scenes encode with x264 preset "veryfast": seconds per 1080p frame of image-panel noise
(the worst case for the encoder, and what diffusion scenes are full of), and file size, per preset.

    python benchmarks/encoder.py
"""
from __future__ import annotations

import os
import tempfile
import time

import av
import numpy as np


def frames(n: int = 60) -> list[np.ndarray]:
    """Dark 1080p frames with four 32x32 noise panels upscaled 10x, new noise every frame."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        f = np.full((1080, 1920, 3), 20, np.uint8)
        for p in range(4):
            patch = rng.integers(0, 255, (32, 32, 3), np.uint8).repeat(10, 0).repeat(10, 1)
            f[500:820, 100 + p * 450:420 + p * 450] = patch
        out.append(f)
    return out


def encode(preset: str, images: list[np.ndarray]) -> tuple[float, float]:
    path = os.path.join(tempfile.mkdtemp(), f"{preset}.mp4")
    c = av.open(path, mode="w")
    s = c.add_stream("libx264", rate=60, options={"crf": "23", "preset": preset})  # manim's crf
    s.width, s.height, s.pix_fmt = 1920, 1080, "yuv420p"
    started = time.perf_counter()
    for f in images:
        for packet in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            c.mux(packet)
    for packet in s.encode():
        c.mux(packet)
    c.close()
    return (time.perf_counter() - started) / len(images), os.path.getsize(path) / 1e6


if __name__ == "__main__":
    images = frames()
    base, base_size = encode("medium", images)
    print(f"{'preset':10s} {'s/frame':>8s} {'MB':>6s} {'speed-up':>9s} {'size':>6s}")
    for preset in ("medium", "veryfast", "ultrafast"):
        sec, size = (base, base_size) if preset == "medium" else encode(preset, images)
        print(f"{preset:10s} {sec:8.3f} {size:6.1f} {base / sec:8.1f}x {size / base_size:5.2f}x")
