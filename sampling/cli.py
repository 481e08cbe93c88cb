"""The `diffviz` command: record trajectories into the cache, sample, train."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from cache import store
from cache.beta_schedules import SCHEDULES
from cache.config import ConfigError, Settings, config_path, load_settings
from cache.errors import DiffvizError
from cache.experiments import EXPERIMENTS as DECLARED
from cache.outputs import OutputError, check_file, check_folder
from cache.specs import EXPERIMENTS, MIXTURE_EXPERIMENTS, SpecError, experiments_for, specs_for

from . import quiet_diffusers

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = ("float32", "float16", "bfloat16")
SETTING_OPTIONS = {  # option name -> Settings field
    "model": "model", "steps": "steps", "seed": "seed", "dtype": "dtype", "image": "image",
    "forward_timestep": "forward_timestep", "patch_size": "patch_size", "patch_x": "patch_x", "patch_y": "patch_y",
    "noise_scaling": "noise_scaling", "ddim_steps": "ddim_step_counts", "grid_levels": "grid_levels",
    "schedule": "schedule",
}


def _step_counts(ctx, param, value):
    if value is None:
        return None
    try:
        return tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers, e.g. 10,50,1000") from None


def model_options(f):
    """--model, --device, --dtype, --steps, --seed and every setting of the original config.yaml."""
    options = [
        click.option("--config", type=click.Path(path_type=Path), default=None,
                     help=f"Settings file [default: {config_path()}]."),
        click.option("--model", help="'embedded', a hub id (google/ddpm-celebahq-256) or a local diffusers folder."),
        click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True),
        click.option("--dtype", type=click.Choice(DTYPES),
                     help="Precision of the UNet (scheduler math stays float32)."),
        click.option("--steps", type=int, help="Inference steps (model.timesteps), 1..num_train_timesteps."),
        click.option("--seed", type=int, help="Seed of the CPU torch.Generator that draws all noise."),
        click.option("--image", help="x_0 for forward and forward_backward: an image file, or 'sample'."),
        click.option("--forward-timestep", type=int, help="Index into scheduler.timesteps (0 = noisiest)."),
        click.option("--grid-levels", type=int, help="How many noise levels of the grid keep their frames."),
        click.option("--patch-size", type=int, help="Side of the re-drawn noise patch, in pixels."),
        click.option("--patch-x", type=int, help="Left edge of the patch, in pixels."),
        click.option("--patch-y", type=int, help="Top edge of the patch, in pixels."),
        click.option("--noise-scaling", type=float, help="s in sqrt(1 - s^2) n_a + s n_b, in [0, 1]."),
        click.option("--ddim-steps", callback=_step_counts, help="DDIM step counts to compare, e.g. 10,50,1000."),
        click.option("--schedule", type=click.Choice(list(SCHEDULES)),
                     help="The beta schedule the mixtures' toy recordings diffuse with [default: linear]."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def settings_from(config: Path | None, **values) -> Settings:
    try:
        base = load_settings(config)
    except ConfigError as err:
        if config:
            raise click.BadParameter(str(err), param_hint="--config") from None
        raise click.UsageError(str(err)) from None
    return base.replace(**{SETTING_OPTIONS[k]: v for k, v in values.items() if k in SETTING_OPTIONS})


class Fault(click.ClickException):
    """A fault found once the options were read: one line `diffviz: ...` on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"diffviz: {self.format_message()}", file=file, err=True)


def run_checked(fn, *args, **kwargs):
    """Turn the project's own errors into one clear line for the user, never a traceback."""
    try:
        return fn(*args, **kwargs)
    except SpecError as err:
        raise click.BadParameter(str(err), param_hint=f"--{err.param.replace('_', '-')}") from None
    except (DiffvizError, FileNotFoundError) as err:  # every error of diffviz's own derives from DiffvizError
        raise Fault(str(err)) from None


def _output_file(ctx, param, out: Path) -> Path:
    """--out FILE: checked before any work (its folder exists and takes a file; .png or .npy)."""
    if out.suffix.lower() not in (".png", ".npy"):
        raise click.BadParameter(f"{out} must end in .png (a grid of the images) or .npy (the array)")
    try:
        check_file(out)
    except OutputError as err:
        raise click.BadParameter(str(err)) from None
    return out


def _output_folder(ctx, param, out: Path) -> Path:
    """--out FOLDER: checked before any work (made where missing; what exists of it takes files)."""
    try:
        check_folder(out)
    except OutputError as err:
        raise click.BadParameter(str(err)) from None
    return out


def _explorer_folder(ctx, param, out: Path) -> Path:
    """--out FOLDER of `web`: the folder and the explorer/ it gets, checked before any work."""
    _output_folder(ctx, param, out / "explorer")
    return out


def _channels(ctx, param, text: str) -> tuple[int, ...]:
    """--channels 32,64,128: at least two levels, each a positive multiple of 8 (the attention's head size;
    --norm-groups must divide them too, checked once both are read)."""
    try:
        channels = tuple(int(c) for c in text.split(","))
    except ValueError:
        channels = ()
    if len(channels) < 2 or any(c <= 0 or c % 8 for c in channels):
        raise click.BadParameter(f"{text!r} is not a list of at least two multiples of 8, such as 32,64,128")
    return channels


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def main() -> None:
    """diffviz: record diffusion trajectories once, render them as Manim scenes anywhere."""
    quiet_diffusers()


@main.group()
def cache() -> None:
    """Build, list, show and clear recorded trajectories."""


def _build_help() -> str:
    """`diffviz cache build --help`: the experiments as cache/experiments.py declares them."""
    def listed(words: list[str]) -> str:
        return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)

    on = [f"{e.name} on {listed(['mixture:' + m for m in e.mixtures])}" for e in DECLARED if e.mixtures]
    trained = [e.name for e in DECLARED if e.family == "memorisation"]
    width = max(len(e.name) for e in DECLARED)
    return "\n\n".join([
        "Record EXPERIMENTS (all the model can when none is named) for the configured model into the cache.",
        "\b\n" + "\n".join(f"  {e.name:{width}s}  {e.about}" for e in DECLARED),
        f"{listed(list(MIXTURE_EXPERIMENTS))} run on the mixtures: with an image model configured, {listed(on)}; "
        "with --model mixture:NAME, that one. With none named and an image model, they are recorded too.",
        f"{listed(trained)} needs a model made by `diffviz train`; for any other it records the embedded one.",
    ])


@cache.command("build", help=_build_help())
@click.argument("experiments", nargs=-1, type=click.Choice(EXPERIMENTS))
@click.option("--force", is_flag=True, help="Record again even where the cache has the trajectory.")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the UNet (pays off on GPUs for long builds).")
@model_options
def cache_build(experiments, force, compile_, config, device, **values):
    from .build import build, plan_builds
    from .loading import load_model

    builds = run_checked(plan_builds, settings_from(config, **values), list(experiments), say=click.echo)
    run_checked(store.check_writable)  # before any model is loaded or anything recorded
    plans = []
    for settings, names in builds:
        model = run_checked(load_model, settings.model, device=device, dtype=settings.dtype, compile=compile_)
        names = names or experiments_for(model.files)
        for name in names:  # every build's settings are checked before any of them records
            run_checked(specs_for, name, settings, model.files)
        plans.append((settings, names, model))
    for settings, names, model in plans:
        with _CallCounter() as progress:
            run_checked(build, names, settings, force=force, report=progress.echo, model=model, progress=progress)


class _CallCounter:
    """A one-line live count of batched UNet calls on a terminal (a build's length is its longest run:
    1,000 calls for the DDIM-1000 and DDPM runs); silent where stderr is not a terminal."""

    def __init__(self):
        self.live = sys.stderr.isatty()
        self.calls, self.started, self.shown = 0, time.perf_counter(), 0.0

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self._clear()

    def __call__(self, batch: int) -> None:
        self.calls += 1
        now = time.perf_counter()
        if self.live and now - self.shown > 0.2:
            self.shown = now
            click.echo(f"\r  recording: {self.calls} batched UNet calls (batch {batch}), {now - self.started:.0f} s",
                       nl=False, err=True)

    def echo(self, line: str) -> None:
        self._clear()
        click.echo(line)

    def _clear(self) -> None:
        if self.live and self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = 0.0


@cache.command("list")
def cache_list():
    """One line per trajectory: key, experiment, model, spec."""
    found = store.entries()
    if not found:
        click.echo("the cache is empty; record trajectories with `diffviz cache build`")
    for e in found:
        if isinstance(e, store.CacheError):
            click.echo(f"BROKEN  {e}")
            continue
        m = e.manifest
        spec = ", ".join(f"{k}={v}" for k, v in m["spec"].items() if k != "experiment")
        click.echo(f"{e.key[:16]}  {e.experiment:17s} {m['model']['name']:28s} {m['dtype']:9s} {spec}")


@cache.command("show")
@click.argument("key")
def cache_show(key):
    """The manifest of one trajectory, and its arrays with shapes."""
    matches = [e for e in store.entries() if _key_of(e).startswith(key)]
    if len(matches) != 1:
        raise click.BadParameter(f"{key!r} matches {len(matches)} entries; `diffviz cache list` shows the keys",
                                 param_hint="KEY")
    entry = matches[0]
    if isinstance(entry, store.CacheError):
        raise Fault(str(entry))
    arrays = run_checked(entry.load)  # checked whole before anything is shown
    click.echo(json.dumps(entry.manifest, indent=2, sort_keys=True))
    for name, a in arrays.items():
        click.echo(f"  {name:28s} {a.dtype} {tuple(a.shape)}")


def _key_of(entry: store.Entry | store.CacheError) -> str:
    """An entry's key; a broken entry's, from its folder's name (<experiment>-<key[:16]>)."""
    if isinstance(entry, store.Entry):
        return entry.key
    return entry.folder.name.rpartition("-")[2] if entry.folder else ""


@cache.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask.")
def cache_clear(yes):
    """Remove every recorded trajectory."""
    if yes or click.confirm(f"remove every trajectory under {store.cache_root()}?"):
        click.echo(f"removed {store.clear()} trajectories")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, callback=_explorer_folder,
              help="Folder to write explorer/ into (./render.sh --web: the render's output folder).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Settings file [default: {config_path()}].")
def web(out, config):
    """Write OUT/explorer/index.html: the configured model's recorded trajectories, to scrub through in a
    browser. It opens by double-click (file://), offline, with no server; nothing is recorded, only read."""
    from tools.explorer import SIZE_LIMIT, write_explorer

    made = run_checked(write_explorer, out, settings_from(config))
    for broken in made["broken"]:
        click.echo(f"BROKEN  {broken['title']}: {broken['message']}", err=True)
    for missing in made["missing"]:
        click.echo(f"missing {missing['title']}: {missing['message']}", err=True)
    if not made["katex"]:
        click.echo("KaTeX could not be fetched from npm's registry: the page shows equations as TeX", err=True)
    click.echo(f"wrote {made['folder'] / 'index.html'}: {len(made['views'])} views, "
               f"{made['bytes'] / 1e6:.1f} MB ({made['data_bytes'] / 1e6:.1f} MB of recordings)")
    if made["data_bytes"] > SIZE_LIMIT:
        click.echo(f"the recordings take more than {SIZE_LIMIT / 1e6:.0f} MB: a browser may be slow to open the page",
                   err=True)


@main.command()
@click.option("--model", default=None,
              help="'embedded', a hub id or a local diffusers folder [default: from the settings file].")
@click.option("--scheduler", type=click.Choice(["ddpm", "ddim"]), default="ddim")
@click.option("--steps", type=int, default=50)
@click.option("--eta", type=click.FloatRange(0, 1), default=0.0, help="DDIM only.")
@click.option("--seed", type=int, default=0)
@click.option("--n", type=click.IntRange(1, 1024), default=16, help="How many images.")
@click.option("--device", type=click.Choice(DEVICES), default="auto")
@click.option("--dtype", type=click.Choice(DTYPES), default="float32")
@click.option("--out", type=click.Path(path_type=Path), required=True, callback=_output_file,
              help="FILE.png: a grid of the images; FILE.npy: float32 (n, C, H, W) in [-1, 1].")
def sample(model, scheduler, steps, eta, seed, n, device, dtype, out):
    """Sample n images; the same seed gives the same images as diffusers' DDPMPipeline/DDIMPipeline."""
    from .sample import sample_images, write_images
    name = model or settings_from(None).model
    images = run_checked(sample_images, name, scheduler, steps, seed, n, device, dtype, eta)
    run_checked(write_images, images, out)
    click.echo(f"wrote {out}: {n} images, {scheduler} {steps} steps, seed {seed}")


@main.command()
@click.option("--dataset", default="emoji-faces",
              help="'emoji-faces' (rendered from Noto Color Emoji) or a folder of images.")
@click.option("--out", type=click.Path(path_type=Path), required=True, callback=_output_folder,
              help="Model folder to write (and resume from).")
@click.option("--size", type=click.IntRange(8, 512), default=32, help="Image side in pixels.")
@click.option("--steps", type=click.IntRange(1), default=6000,
              help="Training steps in all (a resumed run goes on to this).")
@click.option("--batch-size", type=click.IntRange(1), default=32)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=5e-4)
@click.option("--seed", type=int, default=0)
@click.option("--ema-decay", type=click.FloatRange(0, 1, max_open=True), default=0.999,
              help="Decay of the weights' exponential moving average (the EMA weights are the ones written).")
@click.option("--channels", default="32,64,128", callback=_channels,
              help="The UNet's block_out_channels, comma-separated, each a multiple of 8 (self-attention at "
                   "the last, lowest resolution).")
@click.option("--norm-groups", type=click.IntRange(1), default=8,
              help="GroupNorm's groups; every --channels value must be a multiple of it.")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=0.0,
              help="Dropout in every ResNet block, against copying a small training set.")
@click.option("--p2-gamma", type=click.FloatRange(0, 4), default=0.0,
              help="Weight each t's loss by (1 + SNR(t))^-gamma (Choi et al. 2022, k = 1): 0 is the plain "
                   "epsilon MSE; 1 trains the noisy steps, where colour and layout are set, harder.")
@click.option("--device", type=click.Choice(DEVICES), default="auto")
@click.option("--max-minutes", type=click.FloatRange(0, min_open=True), default=None,
              help="Stop this run after so many wall-clock minutes, writing the model at the step reached "
                   "(running again resumes towards --steps).")
def train(dataset: str, out: Path, size: int, steps: int, batch_size: int, lr: float, seed: int,
          ema_decay: float, channels: tuple[int, ...], norm_groups: int, dropout: float, p2_gamma: float,
          device: str, max_minutes: float | None) -> None:
    """Train a UNet2DModel (DDPM objective, EMA weights) and write a diffusers model folder."""
    from .loading import resolve_device
    from .train import TrainSpec
    from .train import train as run_training

    spec = TrainSpec(dataset=dataset, size=size, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                     ema_decay=ema_decay, channels=channels, norm_groups=norm_groups,
                     dropout=dropout, p2_gamma=p2_gamma)
    if any(c % norm_groups for c in channels):
        raise click.BadParameter(f"{norm_groups} does not divide every channel count of {channels}",
                                 param_hint="--norm-groups")
    with click.progressbar(length=steps, label="training", show_pos=True, item_show_func=lambda s: s) as bar:
        def on_step(step: int, loss: float) -> None:
            bar.update(step - bar.pos, f"loss {loss:.4f}")
        info = run_checked(run_training, spec, out, device=run_checked(resolve_device, device), on_step=on_step,
                           max_seconds=None if max_minutes is None else 60 * max_minutes)
    stopped = f" (stopped at the {max_minutes:g}-minute limit)" if info["step"] < steps else ""
    click.echo(f"wrote {out} after {info['step']} steps{stopped}, {info['seconds']:.0f} s, "
               f"loss {info['final_loss']:.4f}")


if __name__ == "__main__":
    sys.exit(main())
