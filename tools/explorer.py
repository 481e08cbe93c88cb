"""The recorded trajectories as a web page to scrub through, offline: `diffviz web --out DIR` (or
`./render.sh --web`) writes DIR/explorer/index.html, its script and style, KaTeX, and one data script per
view. Browsers refuse fetch() and XHR from file://, so every byte comes in through <script> tags: the
page opens by double-click, with no server, no Python and no network.

Everything shown is read from the cache: images as the stored uint8 frames (one PNG sheet per array, drawn
into canvases in the page), numbers as recorded. The page computes only what its equations say: x_t of
the forward process at every t, from x_0, eps and alpha_bar stored as float32.
"""
from __future__ import annotations

import base64
import io
import json
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from cache.config import Settings, load_settings
from cache.drawings import SMILEY_WORDS, mixture_words
from cache.experiments import EXPERIMENTS as DECLARED
from cache.experiments import experiment as declared
from cache.lookup import MissingTrajectory, Trajectory, every_trajectory, model_for, trajectory
from cache.mixtures import smiley
from cache.model_files import ModelError
from cache.outputs import folder_written_aside
from cache.specs import SpecError
from cache.store import CacheError
from cache.stored_arrays import STORED_ARRAYS, VARIANTS

PAGE = Path(__file__).resolve().parent / "explorer_page"  # index.html, explorer.js, explorer.css: no data
KATEX_VERSION = "0.16.22"
KATEX_FILES = ("katex.min.js", "katex.min.css")
SIZE_LIMIT = 10_000_000  # bytes of recordings the embedded model's page may carry (issue 16)


def sheet(frames: np.ndarray) -> dict:
    """uint8 frames (N, H, W, C) as one PNG data URL, tiled in rows of `cols`: the page draws frame i from
    column i % cols, row i // cols. One PNG per array compresses better than one per frame."""
    frames = np.asarray(frames, np.uint8)
    n, h, w = frames.shape[:3]
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    tiled = np.zeros((rows * h, cols * w, frames.shape[3]), np.uint8)
    for i, frame in enumerate(frames):
        tiled[(i // cols) * h:(i // cols + 1) * h, (i % cols) * w:(i % cols + 1) * w] = frame
    png = io.BytesIO()
    Image.fromarray(tiled).save(png, format="PNG", optimize=True)
    return {"png": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(), "n": n, "h": h, "w": w,
            "cols": cols}


def floats(a: np.ndarray) -> str:
    """float32, little-endian, base64: the page reads it as a Float32Array."""
    return base64.b64encode(np.ascontiguousarray(a, "<f4").tobytes()).decode()


def doubles(a: np.ndarray) -> str:
    """float64, little-endian, base64: the page reads it as a Float64Array (numbers shown as recorded)."""
    return base64.b64encode(np.ascontiguousarray(a, "<f8").tobytes()).decode()


def numbers(tr: Trajectory, *names: str) -> dict:
    return {name: np.asarray(tr[name]).tolist() for name in names}


def forward_view(tr: Trajectory) -> dict:
    x0 = tr["x0_float"]
    return {"T": len(tr["alpha_bar"]), "shape": list(x0.shape), "alpha_bar": floats(tr["alpha_bar"]),
            "x0": floats(x0), "eps": floats(tr["eps_float"]), "recorded_t": tr["t"].tolist(),
            "images": {"x0": sheet(tr["x0"][None]), "eps": sheet(tr["eps"][None])}}


def reverse_view(tr: Trajectory) -> dict:
    sampler = tr.manifest["spec"]["scheduler"]
    coefficients = (["inv_sqrt_alpha_t", "beta_t_over_sqrt_one_minus_alpha_bar_t", "mu_tilde_x0_coef",
                     "mu_tilde_xt_coef"] if sampler == "ddpm" else ["sqrt_alpha_bar_prev", "direction_coef"])
    return {"sampler": sampler, "eta": tr.manifest["spec"].get("eta", 0.0),
            "numbers": numbers(tr, "t", "t_prev", "alpha_bar_t", "alpha_bar_prev", "sigma_t", "clipped", *coefficients),
            "images": {name: sheet(tr[name]) for name in ("x", "eps_hat", "x0_hat", "z")}}


def similar_noise_view(tr: Trajectory, palette_heat: Callable) -> dict:
    spec = tr.manifest["spec"]
    vmax = float(np.percentile(tr["x_heatmap"], 99.5))  # the scene's scale (scenes/similar_noise.py)
    return {"kind": spec["kind"], "scaling": spec.get("scaling", 0.0), "patch": tr["patch"].tolist(),
            "numbers": numbers(tr, "t", "x_distance", "x0_hat_distance", "noise_distance", "output_distance"),
            "heat_max": vmax,
            "images": {"a": sheet(tr["x"][:, 0]), "b": sheet(tr["x"][:, 1]),
                       "heat": sheet(np.stack([palette_heat(h, vmax) for h in tr["x_heatmap"]]))}}


def grid_view(tr: Trajectory) -> dict:
    rows, columns = tr["grid"].shape[:2]
    return {"rows": rows, "columns": columns, "grid_rows": tr["grid_rows"].tolist(),
            "row_t": tr["row_t"][tr["grid_rows"]].tolist(), "row_steps": tr["row_steps"][tr["grid_rows"]].tolist(),
            "column_distance": tr["column_distance"][tr["grid_rows"]].tolist(), "t": tr["t"].tolist(),
            "images": {"grid": sheet(tr["grid"].reshape(rows * columns, *tr["grid"].shape[2:]))}}


def ddim_steps_view(tr: Trajectory) -> dict:
    runs = tr["frames"].shape[0]
    return {"runs": runs, "frames": tr["frames"].shape[1],
            "numbers": numbers(tr, "step_counts", "is_ddpm", "frame_steps", "distance_to_reference"),
            "images": {f"run{r}": sheet(tr["frames"][r]) for r in range(runs)}}


def memorisation_view(tr: Trajectory) -> dict:
    samples = tr["unet_x"].shape[1]
    images = {f"{m}_x{k}": sheet(tr[f"{m}_x"][:, k]) for m in ("unet", "exact") for k in range(samples)}
    images |= {f"{m}_nearest": sheet(tr[f"{m}_nearest"]) for m in ("unet", "exact")}
    return {"samples": samples, "images": images,
            "numbers": numbers(tr, "t", "training_count", "unet_nearest_distance", "exact_nearest_distance",
                               "unet_nearest_index", "exact_nearest_index", "unet_exact_distance")}


QUANT = 4096  # toy points as int16 of x * QUANT: |x| < 8 in steps of 1/4096, half float32's bytes
TOY_FORWARD_FRAMES = 51  # of the toy's recorded forward states, evenly spaced (all 201 would be 1.6 MB more)


def quantised(a: np.ndarray) -> str:
    """int16 of a * QUANT, little-endian, base64: the page reads it as an Int16Array and divides."""
    q = np.clip(np.round(np.asarray(a, np.float64) * QUANT), -32768, 32767).astype("<i2")
    return base64.b64encode(q.tobytes()).decode()


def toy_view(tr: Trajectory) -> dict:
    keep = np.unique(np.round(np.linspace(0, len(tr["forward_t"]) - 1, TOY_FORWARD_FRAMES)).astype(int))
    forward_t = tr["forward_t"][keep]
    return {"points": len(tr["x0"]), "quant": QUANT, "extent": float(tr.manifest["spec"]["extent"]),
            "forward_t": forward_t.tolist(), "alpha_bar": tr["alpha_bar"][forward_t].tolist(),
            "forward": quantised(tr["forward"][keep]), "grid": tr["grid"].tolist(),
            "field": quantised(tr["eps_hat_field"][keep]), "x0": quantised(tr["x0"]),
            "ddpm": quantised(tr["ddpm_frames"]), "ddpm_t": tr["ddpm_frame_t"].tolist(),
            "ddim": quantised(tr["ddim_frames"]), "ddim_t": tr["ddim_frame_t"].tolist(),
            "steps": {"ddpm": len(tr["ddpm_t"]) - 1, "ddim": len(tr["ddim_t"]) - 1},
            "numbers": numbers(tr, "ddpm_stray", "ddim_stray", "ddim_fine_stray", "stray_sd"), "images": {},
            "shown": mixture_words(tr.manifest["model"]["name"]).a}


TOY_1D_FRAMES = 51  # of the 1D toy's 201 forward states, as the 2D toy: the heat map keeps every one
CLOUD_FRAMES = 11  # of the guidance and flow runs' 51 frames, evenly spaced: every fifth
SCHEDULE_FRAMES = 51  # of the schedules' 101 noised images per schedule, evenly spaced: every other


def evenly(n: int, keep: int) -> np.ndarray:
    """`keep` indices of 0..n-1, evenly spaced, both ends included."""
    return np.unique(np.round(np.linspace(0, n - 1, min(n, keep))).astype(int))


def toy_1d_view(tr: Trajectory, palette_heat: Callable) -> dict:
    """ToyDiffusion1D: q(x_t) over (t, x) as a heat map (the scene's 99.5th percentile as its top), the first
    points' paths on it, and at the chosen state the points' histogram beside q(x_t)."""
    keep = evenly(len(tr["forward_t"]), TOY_1D_FRAMES)
    vmax = float(np.percentile(tr["density"], 99.5))
    forward_t = tr["forward_t"]
    return {"points": len(tr["x0"]), "quant": QUANT, "extent": float(tr.manifest["spec"]["extent"]),
            "T": len(tr["alpha_bar"]), "grid": tr["grid"][:, 0].tolist(), "heat_max": vmax,
            "heat_t": forward_t.tolist(), "forward_t": forward_t[keep].tolist(),
            "alpha_bar": tr["alpha_bar"][forward_t[keep]].tolist(),
            "density": floats(tr["density"][keep]), "data_density": floats(tr["data_density"]),
            "x0": quantised(tr["x0"][:, 0]), "forward": quantised(tr["forward"][keep, :, 0]),
            "forward_paths": quantised(tr["forward_paths"][forward_t, :, 0]),
            "ddpm": quantised(tr["ddpm_frames"][..., 0]), "ddpm_t": tr["ddpm_frame_t"].tolist(),
            "ddim": quantised(tr["ddim_frames"][..., 0]), "ddim_t": tr["ddim_frame_t"].tolist(),
            "ddpm_paths": quantised(tr["ddpm_paths"][..., 0]), "ddpm_path_t": tr["ddpm_t"].tolist(),
            "ddim_paths": quantised(tr["ddim_paths"][..., 0]), "ddim_path_t": tr["ddim_t"].tolist(),
            "steps": {"ddpm": len(tr["ddpm_t"]) - 1, "ddim": len(tr["ddim_t"]) - 1},
            "numbers": numbers(tr, "ddpm_stray", "ddim_stray", "stray_sd"),
            "images": {"heat": sheet(palette_heat(tr["density"].T[::-1], vmax)[None])}}


def noise_sweep_view(tr: Trajectory) -> dict:
    """PerturbationSweep: each perturbed noise's output beside the base output, and output distance against
    noise distance, the patch sizes and the global scalings as two series."""
    return {"numbers": numbers(tr, "patch_sizes", "scalings", "patch_noise_distance", "patch_output_distance",
                               "global_noise_distance", "global_output_distance"),
            "images": {"base": sheet(tr["base"][None]), "outputs": sheet(tr["outputs"])}}


def schedules_view(tr: Trajectory) -> dict:
    """NoiseSchedules: alpha_bar and log SNR of each schedule over t, one image noised under each at every
    other recorded t, and DDIM's samples of the smiley under each schedule and step count from the same x_T."""
    spec = tr.manifest["spec"]
    keep = evenly(len(tr["image_t"]), SCHEDULE_FRAMES)
    return {"schedules": spec["schedules"], "quant": QUANT, "points": len(tr["x_T"]), "T": tr["alpha_bar"].shape[1],
            "alpha_bar": doubles(tr["alpha_bar"]), "log_snr": doubles(tr["log_snr"]),
            "ddim": quantised(tr["ddim_final"]), "image_t": tr["image_t"][keep].tolist(),
            "numbers": numbers(tr, "step_counts", "ddim_t", "ddim_stray", "stray_sd", "snr_window",
                               "steps_in_window"),
            "images": {"x0": sheet(tr["x0"][None]), "eps": sheet(tr["eps"][None]),
                       **{f"x_t{r}": sheet(tr["x_t"][r, keep]) for r in range(tr["x_t"].shape[0])}}}


def guidance_view(tr: Trajectory) -> dict:
    """ClassifierFreeGuidance: each w's DDIM states from the same x_T (every fifth frame), the samples of
    p(x | c) itself, and per w the spread, the share on the class and its coverage."""
    keep = evenly(tr["frames"].shape[1], CLOUD_FRAMES)
    return {"points": tr["frames"].shape[2], "quant": QUANT, "frames": quantised(tr["frames"][:, keep]),
            "frame_t": tr["frame_t"][keep].tolist(), "reference": quantised(tr["reference"]),
            "numbers": numbers(tr, "weights", "spread", "true_spread", "on_class", "coverage", "reference_coverage",
                               "stray_sd", "field_t"), "condition": tr.manifest["spec"]["condition"], "images": {}}


def flow_view(tr: Trajectory) -> dict:
    """FlowMatching: Euler on the exact velocity and DDIM, at each step count, from the same x_T (every fifth
    frame; a run's repeated states, between its steps, are carried once), their traced paths, straightness."""
    keep = evenly(tr["euler_frames"].shape[1], CLOUD_FRAMES)
    runs = {}
    for sampler in ("euler", "ddim"):
        states, index = [], []
        for r in range(len(tr["step_counts"])):
            seen = {}
            for j in keep:
                frame = tr[f"{sampler}_frames"][r, j]
                index.append(seen.setdefault(frame.tobytes(), len(states)))
                if index[-1] == len(states):
                    states.append(frame)
        runs[sampler] = {"states": quantised(np.stack(states)), "frame_state": index,
                         "paths": quantised(tr[f"{sampler}_paths"])}
    return {"points": tr["x_T"].shape[0], "quant": QUANT, "runs": runs, "frames": len(keep),
            "paths": tr["euler_paths"].shape[2], "path_frames": tr["euler_paths"].shape[1], "keep": keep.tolist(),
            "euler_s": tr["euler_frame_s"][:, keep].tolist(), "ddim_t": tr["ddim_frame_t"][:, keep].tolist(),
            "numbers": numbers(tr, "step_counts", "euler_straightness", "ddim_straightness", "ddim_flow_straightness",
                               "euler_stray", "ddim_stray", "stray_sd"), "images": {}}


def meanings(kind: str) -> dict[str, str]:
    """name -> meaning of every array a recording of this kind may store (cache/stored_arrays.py)."""
    return STORED_ARRAYS.get(kind, {}) | {k: v for arrays in VARIANTS.get(kind, {}).values() for k, v in arrays.items()}


def listing_view(tr: Trajectory, recordings: list[Trajectory]) -> dict:
    """An experiment without a view of its own (cache/experiments.py declares none): every recording's spec and
    arrays (name, dtype, shape, meaning; the values of the small ones), so that a new experiment is shown."""
    def array(name: str, a: np.ndarray, meaning: str) -> dict:
        listed = {"name": name, "dtype": str(a.dtype), "shape": list(a.shape), "meaning": meaning}
        return listed | ({"values": np.asarray(a, np.float64).round(6).tolist()} if a.size <= 16 else {})

    return {"about": declared(tr.manifest["experiment"]).about, "images": {}, "recordings": [
        {"index": r.manifest["index"], "spec": r.manifest["spec"],
         "arrays": [array(name, a, meanings(r.manifest["spec"]["experiment"]).get(name, ""))
                    for name, a in sorted(r.arrays.items())]}
        for r in recordings]}


def makers(heat: Callable) -> dict[str, Callable]:
    """What each view that cache/experiments.py declares shows, by its id: Trajectory -> the view's data (and
    the page's MAKERS draws it). An experiment with no view declared is shown by listing_view instead."""
    return {"forward": forward_view, "reverse-ddpm": reverse_view, "reverse-ddim": reverse_view,
            "patch": lambda tr: similar_noise_view(tr, heat), "global": lambda tr: similar_noise_view(tr, heat),
            "grid": grid_view, "ddim-steps": ddim_steps_view, "memorisation": memorisation_view, "toy-2d": toy_view,
            "toy-1d": lambda tr: toy_1d_view(tr, heat), "noise-sweep": noise_sweep_view, "schedules": schedules_view,
            "guidance": guidance_view, "flow": flow_view}


@dataclass(frozen=True)
class View:
    id: str            # the page's name for it: index.html#<id>/t=600
    title: str
    experiment: str
    index: int | None  # which recording of the experiment (cache/specs.py specs_for); None: all, listed
    make: Callable     # Trajectory -> the view's data; a listing: (first Trajectory, all of them) -> its data
    mixture: str = ""  # the mixture it shows, for an experiment recorded on several

    def model(self, settings: Settings) -> str:
        """The model the experiment is recorded with for these settings, as `diffviz cache build` records it."""
        return model_for(self.experiment, settings, self.mixture)

    def titled(self, model: str) -> str:
        """The title for a recording of `model`, naming the drawing where it is one (the declared titles name the
        smiley: "Toy 2D: a smiley of points")."""
        return self.title.replace(SMILEY_WORDS.points, mixture_words(model).points)


def views(heat: Callable) -> list[View]:
    """Every view, in the declaration's order: each experiment's own, or a listing of its recordings."""
    make = makers(heat)
    return [View(v.id, v.title, e.name, v.index, make[v.id], v.mixture) for e in DECLARED for v in e.views] + [
        View(e.name, f"{e.name}: its recordings, listed", e.name, None, listing_view) for e in DECLARED if not e.views]


def sandbox_presets() -> dict:
    """The sandbox's smiley preset: cache/mixtures.py's smiley, its mouth drawn with brush 1 (the class that the
    guidance chapter samples), the rest with brush 0."""
    m = smiley()
    return {"smiley": np.round(m.means, 3).tolist(),
            "smiley_classes": (m.labels == m.classes.index("mouth")).astype(int).tolist()}


def page_meta(model: str, shown: list[str], titles: dict[str, str], katex: bool, broken: list[dict] = (),
              missing: list[dict] = ()) -> dict:
    """What explorer.js reads first (window.DIFFVIZ.meta), for the page and the notebook widget alike: the model,
    the scenes' colours, the views shown and every title, the broken and missing views, whether KaTeX came
    along, and the sandbox's presets."""
    return {"model": model, "palettes": palettes(), "views": shown, "broken": list(broken), "missing": list(missing),
            "katex": katex, "titles": titles, "sandbox": sandbox_presets()}


def palettes() -> dict:
    """The scenes' colours by meaning, dark and light, and the heat map's anchors, from the scenes' kit."""
    from dataclasses import asdict

    from scenes.kit.palette import DARK, LIGHT
    from scenes.kit.panels import HEAT
    return {"dark": asdict(DARK), "light": asdict(LIGHT), "heat": HEAT.round().astype(int).tolist()}


def kept_katex() -> Path | None:
    """The folder that keeps KaTeX (script, style, woff2 fonts) for every page and widget diffviz makes: fetched
    from npm's registry the first time; None where it cannot be had (equations are then shown as plain TeX)."""
    from platformdirs import user_cache_path

    from tools.deck import npm_tarball
    kept = user_cache_path("diffviz") / f"katex-{KATEX_VERSION}"
    if not (kept / KATEX_FILES[0]).exists():
        with tempfile.TemporaryDirectory() as tmp:
            try:
                tarball = npm_tarball(f"katex@{KATEX_VERSION}", Path(tmp))
            except (OSError, ValueError) as err:
                print(f"explorer: npm failed ({err})", file=sys.stderr)
                tarball = None
            if tarball is None:
                return None
            staging = kept.with_name(kept.name + ".part")
            shutil.rmtree(staging, ignore_errors=True)
            (staging / "fonts").mkdir(parents=True)
            with tarfile.open(tarball) as tar:
                for member in tar.getmembers():
                    name = member.name.removeprefix("package/dist/")
                    if name in KATEX_FILES or (name.startswith("fonts/") and name.endswith(".woff2")):
                        (staging / name).write_bytes(tar.extractfile(member).read())
            shutil.rmtree(kept, ignore_errors=True)
            staging.rename(kept)
    return kept


def katex(dest: Path) -> bool:
    """KaTeX into dest (from the folder that keeps it); False where it cannot be had."""
    kept = kept_katex()
    if kept is None:
        return False
    shutil.copytree(kept, dest, dirs_exist_ok=True)
    return True


def collect(settings: Settings, heat: Callable) -> tuple[dict, list[dict], list[dict]]:
    """Each view's data from the cache; and the views whose entry is broken (what, and how to rebuild it)
    and those not recorded (the command that records them)."""
    made, broken, missing = {}, [], []
    for view in views(heat):
        s = settings.replace(model=view.model(settings))
        title = view.titled(s.model)
        try:
            if view.index is None:  # a listing: every recording
                recordings = every_trajectory(view.experiment, s)
                data = view.make(recordings[0], recordings)
            else:
                data = view.make(trajectory(view.experiment, view.index, s))
            made[view.id] = {"title": title, "experiment": view.experiment, "model": s.model, **data}
        except CacheError as err:
            broken.append({"id": view.id, "title": title, "message": str(err)})
        except (MissingTrajectory, ModelError, SpecError) as err:
            missing.append({"id": view.id, "title": title, "message": str(err)})
    return made, broken, missing


def write_explorer(out: Path, settings: Settings | None = None) -> dict:
    """Write out/explorer/: index.html, explorer.js and .css, katex/, data/<view>.js. Returns what it made:
    the views, the broken and missing ones, the bytes of the data and of the whole folder."""
    from scenes.kit.panels import heat_pixels
    settings = settings or load_settings()
    folder = out / "explorer"
    made, broken, missing = collect(settings, heat_pixels)
    with folder_written_aside(folder) as staging:
        (staging / "data").mkdir()
        has_katex = katex(staging / "katex")
        meta = page_meta(settings.model, list(made), {v.id: v.titled(v.model(settings)) for v in views(heat_pixels)},
                         has_katex, broken, missing)
        scripts = ["data/meta.js"]
        (staging / "data" / "meta.js").write_text(f"window.DIFFVIZ = {{meta: {json.dumps(meta)}, views: {{}}}};\n")
        for view_id, data in made.items():
            (staging / "data" / f"{view_id}.js").write_text(
                f"DIFFVIZ.views[{json.dumps(view_id)}] = {json.dumps(data)};\n")
            scripts.append(f"data/{view_id}.js")
        html = (PAGE / "index.html").read_text()
        tags = "\n".join(f'<script src="{s}"></script>' for s in scripts)
        if has_katex:
            tags = ('<link rel="stylesheet" href="katex/katex.min.css">\n<script src="katex/katex.min.js"></script>\n'
                    + tags)
        (staging / "index.html").write_text(html.replace("<!-- DATA -->", tags))
        for name in ("explorer.js", "sandbox.js", "explorer.css"):
            shutil.copy(PAGE / name, staging / name)
    size = lambda paths: sum(p.stat().st_size for p in paths if p.is_file())  # noqa: E731
    return {"folder": folder, "views": list(made), "broken": broken, "missing": missing, "katex": has_katex,
            "data_bytes": size((folder / "data").iterdir()), "bytes": size(folder.rglob("*"))}


if __name__ == "__main__":
    made = write_explorer(Path(sys.argv[1]))
    print(f"{made['folder']}/index.html: {len(made['views'])} views, {made['bytes'] / 1e6:.1f} MB")
