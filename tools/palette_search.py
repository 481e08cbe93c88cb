"""Search the meaning colours of a theme: `python tools/palette_search.py dark|light`.

Each meaning starts from an Okabe-Ito hue (or a free one) and may move within `spread` degrees of
it in CAM02-UCS; every colour must keep WCAG contrast >= 4.5:1 against the theme's background. The
search (coordinate ascent from random starts over an sRGB grid) maximises the smallest colour
difference of any two meanings, as a fraction of what the palette test asks: 15 for normal vision,
10 under each simulated full colour-vision deficiency (deuteranomaly, protanomaly, tritanomaly at
severity 100, colorspacious). It prints the best palette and its measured minima.
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np
from colorspacious import cspace_convert

VISIONS = (None, "deuteranomaly", "protanomaly", "tritanomaly")
NEED = np.array([15.0, 10.0, 10.0, 10.0])
BACKGROUND = {"dark": "#14161c", "light": "#FFFFFF"}
TEXT = {"dark": "#ECEFF4", "light": "#1B1F24"}
# meaning -> (Okabe-Ito hue it keeps, or None for any; spread in degrees; chromatic?)
TARGETS = {
    "x0": ("#0072B2", 25, True),        # blue
    "eps": ("#D55E00", 25, True),       # vermillion
    "eps_hat": ("#E69F00", 25, True),   # orange
    "x_t": ("#CC79A7", 30, True),       # reddish purple
    "x_prev": ("#8C78D8", 30, True),    # violet: between x_t and x_0
    "x0_hat": ("#009E73", 30, True),    # bluish green
    "time": ("#F0E442", 25, True),      # yellow
    "z": (None, 180, True),
    "accent": ("#56B4E9", 60, True),    # sky blue towards cyan
    "dim": (None, 180, False),          # grey: axes and secondary text
}
# the shade each meaning would have if nothing else mattered: lighter on dark, darker on white
PREFER = {"dark": {"x0": "#56A8F0", "eps": "#FF7A3D", "eps_hat": "#E69F00", "x_t": "#DD88B8", "x_prev": "#A58CF0",
                   "x0_hat": "#2BC08C", "time": "#F0E442", "z": "#E8E0D0", "accent": "#40D0E0", "dim": "#98A0AE"},
          "light": {"x0": "#0072B2", "eps": "#C04E00", "eps_hat": "#A86A00", "x_t": "#A8457F", "x_prev": "#6A4FC0",
                    "x0_hat": "#00795A", "time": "#7A7000", "z": "#7A5040", "accent": "#007A8A", "dim": "#5D6D7E"}}
CAP, WEIGHT = 1.08, 0.006  # margin sought over the test's thresholds; cost of a unit away from the preferred shade


def hex_rgb(code: str) -> np.ndarray:
    return np.array([int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def rgb_hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{round(float(v) * 255):02X}" for v in rgb)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB in [0, 1], (..., 3) -> (...)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    a, b = luminance(rgb), luminance(background)
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def ucs(rgb: np.ndarray, vision: str | None) -> np.ndarray:
    """CAM02-UCS coordinates of sRGB colours as seen with `vision` (None: normal)."""
    if vision:
        rgb = cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}, "sRGB1")
    return cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def hue(jab: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(jab[..., 2], jab[..., 1]))


def search(theme: str, levels: int = 33, starts: int = 30, seed: int = 0) -> dict[str, str]:
    background = hex_rgb(BACKGROUND[theme])
    grid = np.array(list(itertools.product(np.linspace(0, 1, levels), repeat=3)))
    grid = grid[contrast(grid, background) >= 4.5]
    seen = np.stack([ucs(grid, v) for v in VISIONS])  # (4, N, 3)
    chroma = np.hypot(seen[0, :, 1], seen[0, :, 2])
    allowed = {}
    for name, (target, spread, chromatic) in TARGETS.items():
        ok = chroma >= 12 if chromatic else chroma <= 4
        if target:
            gap = (hue(seen[0]) - hue(ucs(hex_rgb(target), None)) + 180) % 360 - 180
            ok &= np.abs(gap) <= spread
        allowed[name] = np.flatnonzero(ok)
    text = np.stack([ucs(hex_rgb(TEXT[theme]), v) for v in VISIONS])  # (4, 3)
    names = list(TARGETS)
    rng = np.random.default_rng(seed)

    def worst(index: np.ndarray, others: list[int]) -> np.ndarray:
        """For candidates `index`, the smallest difference (as a fraction of NEED) to the others and the text."""
        fixed = np.concatenate([seen[:, others], text[:, None]], axis=1)  # (4, M, 3)
        d = np.linalg.norm(seen[:, index, None] - fixed[:, None], axis=-1) / NEED[:, None, None]
        return d.min(axis=(0, 2))

    prefer = {n: ucs(hex_rgb(c), None) for n, c in PREFER[theme].items()}

    def away(name: str, index: np.ndarray) -> np.ndarray:
        """How far candidates are from the preferred shade, for normal vision."""
        return np.linalg.norm(seen[0, index] - prefer[name], axis=-1) if name in prefer else np.zeros(len(index))

    def value(name: str, index: np.ndarray, others: list[int]) -> np.ndarray:
        """Distinguishable up to CAP, then as near the preferred shade as possible."""
        return np.minimum(worst(index, others), CAP) - WEIGHT * away(name, index)

    best, best_score = None, -1.0
    for _ in range(starts):
        chosen = {n: int(rng.choice(allowed[n])) for n in names}
        for _ in range(12):
            changed = False
            for n in rng.permutation(names):
                others = [chosen[m] for m in names if m != n]
                scores = value(n, allowed[n], others)
                pick = int(allowed[n][np.argmax(scores)])
                if pick != chosen[n] and scores.max() > value(n, np.array([chosen[n]]), others)[0] + 1e-9:
                    chosen[n], changed = pick, True
            if not changed:
                break
        picked = {n: np.array([chosen[n]]) for n in names}
        score = (min(min(worst(picked[n], [chosen[m] for m in names if m != n])[0], CAP) for n in names)
                 - WEIGHT ** 2 * sum(away(n, picked[n])[0] for n in names))  # nearness breaks ties
        if score > best_score:
            best, best_score = dict(chosen), score
    palette = {n: rgb_hex(grid[i]) for n, i in best.items()}
    report(theme, palette)
    return palette


def report(theme: str, palette: dict[str, str]) -> None:
    """The smallest difference of any two colours (text included) per vision, and the lowest contrast."""
    names = [*palette, "text"]
    colours = np.array([hex_rgb(c) for c in [*palette.values(), TEXT[theme]]])
    for vision, need in zip(VISIONS, NEED, strict=True):
        jab = ucs(colours, vision)
        d, a, b = min((np.linalg.norm(jab[i] - jab[j]), names[i], names[j])
                      for i, j in itertools.combinations(range(len(names)), 2))
        print(f"{theme} {vision or 'normal':14} smallest difference {d:5.1f} (needs {need:.0f}): {a} / {b}")
    worst = min(palette, key=lambda n: contrast(hex_rgb(palette[n]), hex_rgb(BACKGROUND[theme])))
    lowest = float(contrast(hex_rgb(palette[worst]), hex_rgb(BACKGROUND[theme])))
    print(f"{theme} lowest contrast {lowest:.2f}: {worst}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("theme", choices=("dark", "light"))
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, code in search(args.theme, starts=args.starts, seed=args.seed).items():
        print(f"{name:8} {code}")


if __name__ == "__main__":
    main()
