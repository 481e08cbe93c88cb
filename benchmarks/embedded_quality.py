"""How clean the embedded model's samples are, against its training images (issue 19's figures).

For each seed, the images of `diffviz sample --n 16 --steps 50 --seed S` (DDIM, eta 0; the same
function, sampling/sample.py's sample_images, values in [-1, 1]) are compared with the training
images, `cache/datasets.py`'s loader of the model's dataset (training.json's, emoji-faces for the
embedded model: the 107 images `diffviz train --dataset emoji-faces` trains on, before its random flips):

  tv ratio      total variation, the mean absolute difference of neighbouring pixels (horizontal
                and vertical pairs together) of the samples, over the training images'
  mean colour   mean of every pixel per channel (R, G, B), samples and training images; the figure
                is the largest of the three channels' absolute differences
  background    the four 4x4 corner squares of each image (64 pixels), which are white in 98% of the
                training images' pixels: their mean (level) and standard deviation (spread) per
                channel, over all images' corner pixels together
  nearest       per sample, the root mean square difference to its nearest training image, the
                training images and their left-right mirrors (what training sees) included; the
                figure is the smallest over the samples (not a copy: it must stay large); beside it,
                for scale, how far each training image is from the nearest *other* one

One line per figure: the value per seed, over all seeds' samples together (tv ratio and colour: the
mean over the seeds; nearest: the smallest and the median of all the samples), and issue 26's target
beside it, read over all seeds: the tv ratio in [0.85, 1.20], the mean colour within 0.15 of the
training images' in every channel, every sample at least as far from its nearest training image as the
set's own closest pair is apart, and the median sample at least as far as the set's median image is
from its nearest other (both distances measured on the set, flips included, and printed). Measures
only: it exits 0 whatever the figures are.

    python benchmarks/embedded_quality.py                        # the embedded model, seeds 0..3
    python benchmarks/embedded_quality.py --model runs/emoji-faces-32 --seeds 0,1
    python benchmarks/embedded_quality.py --seeds 0 --pairs pairs.png     # and each sample over its nearest
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from cache.datasets import load_dataset
from cache.store import to_display
from sampling import quiet_diffusers
from sampling.loading import locate
from sampling.sample import sample_images

CHANNELS = "RGB"
CORNER = 4  # side of each corner square of the background
TV_RANGE = (0.85, 1.20)
COLOUR_TOLERANCE = 0.15


def total_variation(x: np.ndarray) -> float:
    """Mean absolute difference of horizontally and vertically neighbouring pixels, (N, C, H, W)."""
    dx = np.abs(np.diff(x, axis=3))
    dy = np.abs(np.diff(x, axis=2))
    return float((dx.sum() + dy.sum()) / (dx.size + dy.size))


def corner_mask(h: int, w: int, side: int = CORNER) -> np.ndarray:
    m = np.zeros((h, w), bool)
    for rows in (slice(0, side), slice(h - side, h)):
        for cols in (slice(0, side), slice(w - side, w)):
            m[rows, cols] = True
    return m


def background(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per channel of the corner squares' pixels of every image."""
    pixels = x[:, :, corner_mask(*x.shape[2:])]  # (N, C, P)
    return pixels.mean(axis=(0, 2)), pixels.std(axis=(0, 2))


def nearest_distances(samples: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Per sample, the RMS difference to the nearest of the training images and their mirrors."""
    return nearest(samples, train)[1]


def nearest(samples: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the nearest of the training images and their mirrors (N, C, H, W), and its RMS difference."""
    refs = np.concatenate([train, train[..., ::-1]])
    flat = refs.reshape(len(refs), -1).astype(np.float64)
    s = samples.reshape(len(samples), -1).astype(np.float64)
    sq = (s ** 2).sum(1)[:, None] + (flat ** 2).sum(1)[None, :] - 2 * s @ flat.T
    which = sq.argmin(axis=1)
    return refs[which], np.sqrt(np.maximum(sq[np.arange(len(s)), which], 0) / s.shape[1])


def write_pairs(samples: np.ndarray, train: np.ndarray, path: Path, columns: int = 8, scale: int = 4) -> None:
    """A PNG of the samples in rows of `columns`, each sample above its nearest training image (or mirror),
    the RMS difference written under the pair: what 'nearest' measures, to be looked at."""
    from PIL import Image, ImageDraw, ImageFont

    refs, dist = nearest(samples, train)
    side, pad, text_h = samples.shape[-1] * scale, 6, 22
    rows = -(-len(samples) // columns)
    sheet = Image.new("RGB", (columns * (side + pad) + pad, rows * (2 * side + text_h + 2 * pad) + pad), "white")
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default(size=16)

    def tile(x: np.ndarray) -> Image.Image:
        return Image.fromarray(to_display(x)).resize((side, side), Image.NEAREST)

    for i, (s, r, d) in enumerate(zip(samples, refs, dist, strict=True)):
        x = pad + (i % columns) * (side + pad)
        y = pad + (i // columns) * (2 * side + text_h + 2 * pad)
        sheet.paste(tile(s), (x, y))
        sheet.paste(tile(r), (x, y + side + 2))
        draw.text((x + side // 2, y + 2 * side + 4), f"{d:.3f}", fill="black", font=font, anchor="mt")
    sheet.save(path)


def training_nearest_other(train: np.ndarray) -> np.ndarray:
    """Per training image, the RMS difference to the nearest *other* training image or its mirror: how far
    apart distinct images of the set are, the scale against which a sample's 'nearest' reads."""
    n = len(train)
    refs = np.concatenate([train, train[..., ::-1]]).reshape(2 * n, -1).astype(np.float64)
    x = refs[:n]
    sq = (x ** 2).sum(1)[:, None] + (refs ** 2).sum(1)[None, :] - 2 * x @ refs.T
    sq[np.arange(n), np.arange(n)] = sq[np.arange(n), np.arange(n) + n] = np.inf  # itself and its own mirror
    return np.sqrt(np.maximum(sq, 0).min(axis=1) / x.shape[1])


def figures(samples: np.ndarray, train: np.ndarray) -> dict:
    mean_s, mean_t = samples.mean(axis=(0, 2, 3)), train.mean(axis=(0, 2, 3))
    level, spread = background(samples)
    nearest = nearest_distances(samples, train)
    return {
        "tv_ratio": total_variation(samples) / total_variation(train),
        "mean_colour": mean_s.tolist(),
        "mean_colour_max_diff": float(np.abs(mean_s - mean_t).max()),
        "background_level": level.tolist(),
        "background_spread": spread.tolist(),
        "nearest_min": float(nearest.min()),
        "nearest_median": float(np.median(nearest)),
    }


def model_dataset(model: str) -> str:
    """The dataset the model folder's training.json names; emoji-faces where it names none."""
    info = Path(locate(model).unet_dir) / "training.json"
    if info.exists():
        return json.loads(info.read_text())["spec"]["dataset"]
    return "emoji-faces"


def _triple(v) -> str:
    return "(" + ", ".join(f"{c:+.2f}" for c in v) + ")"


def _spread(v) -> str:
    return "(" + ", ".join(f"{c:.2f}" for c in v) + ")"


def targets(runs: list[dict], pooled: dict, own: np.ndarray) -> list[tuple[str, str, bool]]:
    """Issue 26's four targets over all seeds, each (figure, target, met): `runs` the figures of each seed,
    `pooled` those of all seeds' samples together, `own` training_nearest_other of the set."""
    lo, hi = TV_RANGE
    tv = float(np.mean([r["tv_ratio"] for r in runs]))
    colour = pooled["mean_colour_max_diff"]
    closest, typical = float(own.min()), float(np.median(own))
    return [
        (f"tv ratio {tv:.3f}", f"in [{lo:.2f}, {hi:.2f}]", lo <= tv <= hi),
        (f"mean colour off {colour:.3f}", f"<= {COLOUR_TOLERANCE} in every channel", colour <= COLOUR_TOLERANCE),
        (f"nearest training, min {pooled['nearest_min']:.3f}", f">= {closest:.3f} (the set's closest pair)",
         pooled["nearest_min"] >= closest),
        (f"nearest training, median {pooled['nearest_median']:.3f}",
         f">= {typical:.3f} (the set's median nearest other)", pooled["nearest_median"] >= typical),
    ]


def report(per_seed: dict[int, dict], pooled: dict, train: np.ndarray) -> list[str]:
    seeds = list(per_seed)
    runs = list(per_seed.values())
    mean_t = train.mean(axis=(0, 2, 3))
    level_t, spread_t = background(train)
    head = "".join(f"{'seed ' + str(s):<23}" for s in seeds)
    lines = [f"{'figure':<26}{head}{'all seeds':<23}training"]

    def row(name: str, key: str, fmt, training: str = "", over_all=None) -> None:
        cells = "".join(f"{fmt(r[key]):<23}" for r in runs)
        value = np.mean([r[key] for r in runs], axis=0) if over_all is None else over_all
        lines.append(f"{name:<26}{cells}{fmt(value):<23}{training}")

    row("tv ratio", "tv_ratio", "{:.3f}".format, "1 (by definition)")
    row("mean colour", "mean_colour", _triple, _triple(mean_t))
    row("mean colour max diff", "mean_colour_max_diff", "{:.3f}".format, over_all=pooled["mean_colour_max_diff"])
    row("background level", "background_level", _triple, _triple(level_t))
    row("background spread", "background_spread", _spread, _spread(spread_t))
    row("nearest training, min", "nearest_min", "{:.3f}".format, over_all=pooled["nearest_min"])
    row("nearest training, median", "nearest_median", "{:.3f}".format, over_all=pooled["nearest_median"])
    own = training_nearest_other(train)
    lines.append(f"{'(training among itself)':<26}each training image to the nearest other one (flips included): "
                 f"min {own.min():.3f}, median {np.median(own):.3f}")
    met = targets(runs, pooled, own)
    lines += [f"target: {figure} {target}  {'ok' if ok else 'MISSED'}" for figure, target, ok in met]
    lines.append(f"targets met: {sum(ok for *_, ok in met)} of {len(met)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="embedded", help="'embedded' or a diffusers UNet2DModel folder")
    p.add_argument("--dataset", default=None, help="training images [default: the model's training.json's]")
    p.add_argument("--seeds", default="0,1,2,3", help="comma-separated seeds")
    p.add_argument("--n", type=int, default=16, help="samples per seed")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.add_argument("--pairs", type=Path, default=None,
                   help="also write a PNG of the first seed's samples, each above its nearest training image")
    a = p.parse_args(argv)
    quiet_diffusers()

    seeds = [int(s) for s in a.seeds.split(",")]
    dataset = a.dataset or model_dataset(a.model)
    per_seed, every, started = {}, [], time.perf_counter()
    for seed in seeds:
        samples = sample_images(a.model, "ddim", a.steps, seed, a.n, device=a.device)
        if seed == seeds[0]:
            train = load_dataset(dataset, samples.shape[-1])
        per_seed[seed] = figures(samples, train)
        every.append(samples)
        if a.pairs and seed == seeds[0]:
            write_pairs(samples, train, a.pairs)
    pooled = figures(np.concatenate(every), train)
    print(f"model {a.model}: {a.n} samples per seed, DDIM {a.steps} steps, seeds {a.seeds}; "
          f"training images: {dataset}, {len(train)} (and their mirrors for 'nearest'); "
          f"{time.perf_counter() - started:.0f} s")
    print("\n".join(report(per_seed, pooled, train)))
    if a.json:
        a.json.write_text(json.dumps({"model": a.model, "dataset": dataset, "n": a.n, "steps": a.steps,
                                      "seeds": per_seed, "all_seeds": pooled}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
