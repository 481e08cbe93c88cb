"""diffviz's engine against the original notebooks' way of sampling, on the same model, in one process.

The reference loop is written as the notebooks wrote it: batch 1, one run after another, one
UNet call per step, diffusers' scheduler.step(), float32. The engine is `diffviz cache build`'s:
runs pooled into batches (sampling/engine.py). Every case prints UNet calls, wall seconds and
image-steps per second for both, and ends with one line per case
`NAME calls_ratio=X wall_ratio=Y bound_critical_s=S wall_over_critical=R unet_inside_s=U wall_over_unet=V
replay_s=P wall_over_replay=Q engine_alone_s=E`.

The critical-path bound: the batch size of every UNet call the engine made in the case, each
call priced at the UNet's best time (the least of several calls) at that batch size, summed.
No engine that makes the same calls can be faster; wall_over_critical is the engine's own cost together with
the spread of the UNet's own times (its best of 5 is seldom its typical call on a shared CPU). Three figures part
them: unet_inside_s, what the UNet's forwards took during the engine's run (forward hooks; the rest of the wall
is the engine's threads, locks, copies and samplers); replay_s, the same calls replayed back to back with
nothing else running, right after: the UNet's own pace for these calls at that minute; and engine_alone_s, the
case run again with a UNet that costs nothing (it returns zeros): the engine's whole cost by itself.

    python benchmarks/recording.py            # CPU: embedded model, and google's 256x256 architecture
    python benchmarks/recording.py --cases full-build-embedded grid50-embedded
    python benchmarks/recording.py --device cuda --dtype bfloat16
"""
from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel
from PIL import Image

from cache.config import Settings
from cache.model_files import ModelFiles
from cache.specs import NOTEBOOK_EXPERIMENTS, ForwardBackward, specs_for
from sampling.build import build
from sampling.loading import load_model
from sampling.recorders import record
from sampling.unet import UNetDenoiser

# google/ddpm-celebahq-256 and google/ddpm-bedroom-256 (their config.json)
GOOGLE_UNET = dict(sample_size=256, in_channels=3, out_channels=3, layers_per_block=2,
                   block_out_channels=(128, 128, 256, 256, 512, 512),
                   down_block_types=("DownBlock2D",) * 4 + ("AttnDownBlock2D", "DownBlock2D"),
                   up_block_types=("UpBlock2D", "AttnUpBlock2D") + ("UpBlock2D",) * 4,
                   downsample_padding=0, flip_sin_to_cos=False, freq_shift=1, norm_eps=1e-6)
GOOGLE_SCHEDULER = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                        clip_sample=True, variance_type="fixed_small")


class Notebook:
    """The reference: batch 1, serial, scheduler.step(), counting UNet calls."""

    def __init__(self, model: UNetDenoiser):
        self.unet, self.config, self.device, self.calls = model.unet, model.files.scheduler_config, model.device, 0
        self.shape = (1, *model.shape)

    def noise(self, gen):
        return torch.randn(self.shape, generator=gen).to(self.device)

    @torch.no_grad()
    def run(self, scheduler, steps: int, x, start: int = 0, gen=None):
        scheduler.set_timesteps(steps)
        for t in scheduler.timesteps[start:]:
            eps = self.unet(x.to(self.unet.dtype), t).sample.float()  # the scheduler's arithmetic in float32
            self.calls += 1
            kwargs = {"generator": gen} if isinstance(scheduler, DDPMScheduler) else {}
            x = scheduler.step(eps, t, x, **kwargs).prev_sample
        return x

    def ddim(self, steps, x, start=0):
        return self.run(DDIMScheduler.from_config(self.config), steps, x, start)

    def ddpm(self, steps, x, gen):
        return self.run(DDPMScheduler.from_config(self.config), steps, x, gen=gen)

    def grid(self, x0, steps: int, gen) -> None:
        """forward_backward.ipynb: every level, fresh noise, then DDIM down to 0, one run at a time."""
        sched = DDIMScheduler.from_config(self.config)
        sched.set_timesteps(steps)
        for i, t in enumerate(sched.timesteps):
            x_t = sched.add_noise(x0, self.noise(gen), t[None])
            self.ddim(steps, x_t, start=i)

    def recording(self, spec, image):
        """What one spec costs when each of its runs is sampled alone."""
        gen = torch.Generator().manual_seed(0)
        kind = spec.experiment
        sampled = getattr(spec, "image", None) == "sample"
        x0 = image if image is not None else self.ddim(50, self.noise(gen)) if sampled else None
        if kind == "reverse":
            sampler = self.ddpm if spec.scheduler == "ddpm" else lambda s, x, g: self.ddim(s, x)
            sampler(spec.steps, self.noise(gen), gen)
        elif kind == "forward_backward":
            self.ddim(spec.steps, self.noise(gen), start=spec.forward_timestep)
            self.grid(x0, spec.steps, gen)
        elif kind == "similar_noise":
            for _ in range(2):
                self.ddim(spec.steps, self.noise(gen))
        elif kind == "noise_sweep":
            for _ in range(1 + len(spec.patch_sizes) + len(spec.scalings)):
                self.ddim(spec.steps, self.noise(gen))
        elif kind == "ddim_steps":
            for n in spec.step_counts:
                self.ddim(n, self.noise(gen))
            self.ddpm(spec.ddpm_steps, self.noise(gen), gen)


def timed(fn):
    started = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - started


def inputs(model: UNetDenoiser, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A timing call's x (seeded noise) and t (500) for this batch size, on the model's device."""
    x = torch.randn((batch, *model.shape), generator=torch.Generator().manual_seed(0)).to(model.device)
    return x, torch.full((batch,), 500, device=model.device)


@contextlib.contextmanager
def uncounted(model: UNetDenoiser):
    """Calls made meanwhile are a measurement's, not part of any case's count of UNet calls."""
    calls = model.calls
    try:
        yield
    finally:
        model.calls = calls


def seconds_per_image(model: UNetDenoiser, batch: int) -> float:
    """The UNet's own best time per image at this batch size: what no pooling of calls can go below."""
    x, t = inputs(model, batch)
    with uncounted(model):
        model(x, t)  # warm-up: kernels chosen, memory allocated
        tries = 2 if batch * model.shape[-1] ** 2 < 2 ** 20 else 1  # one where a call takes seconds (256x256 on a CPU)
        best = min(timed(lambda: model(x, t)) for _ in range(tries))
    return best / batch


_BEST: dict[tuple[int, int], float] = {}


def best_call(model: UNetDenoiser, batch: int) -> float:
    """The UNet's best time for one call at this batch size: the least of several (one where a call takes
    seconds, 256x256 on a CPU), after a warm-up; kept per model and batch size for the run."""
    key = (id(model), batch)
    if key not in _BEST:
        x, t = inputs(model, batch)
        small = batch * model.shape[-1] ** 2 < 2 ** 20
        with uncounted(model):
            if small:
                model(x, t)  # warm-up: kernels chosen, memory allocated
            _BEST[key] = min(timed(lambda: model(x, t)) for _ in range(5 if small else 1))
    return _BEST[key]


def critical_path(model: UNetDenoiser, sizes: list[int]) -> float:
    """The sum, over the UNet calls the engine made, of the UNet's best time at each call's batch size."""
    counts: dict[int, int] = {}
    for b in sizes:
        counts[b] = counts.get(b, 0) + 1
    return sum(n * best_call(model, b) for b, n in counts.items())


def replayed(model: UNetDenoiser, sizes: list[int]) -> float:
    """Seconds the model takes for the very calls the engine made (their batch sizes, in order) replayed back to
    back with nothing else running: the UNet's own pace for this case on this machine, as it is at this minute."""
    x, t = inputs(model, max(sizes))
    with uncounted(model):
        return timed(lambda: [model(x[:b], t[:b]) for b in sizes])


class _Free:
    """What UNet2DModel returns, for a stand-in UNet that costs nothing: eps_hat = 0."""

    def __init__(self, sample):
        self.sample = sample


def engine_alone(model: UNetDenoiser, fn) -> float:
    """Seconds fn() takes with the UNet's forward replaced by one that returns zeros at once: everything the
    engine does besides the UNet (threads, locks, batching, the samplers' arithmetic, the records, storing)."""
    forward = model.unet.forward
    model.unet.forward = lambda x, t, **kwargs: _Free(torch.zeros_like(x))
    try:
        with uncounted(model):
            return timed(fn)
    finally:
        model.unet.forward = forward


def report(name: str, ref_calls: int, ref_s: float, eng_calls: int, eng_s: float, image_steps: int,
           model: UNetDenoiser, sizes: list[int], inside: float, alone_s: float) -> str:
    """The two lines of a case; the bound: wall_ratio if every image-step ran at the UNet's best throughput
    (alone, or at the case's largest batch), what a perfect engine would reach on this machine; then the
    critical-path bound and the figures that part the gap to it (inside, replay, alone). Returns the summary line."""
    print(f"  reference: {ref_calls:6d} UNet calls {ref_s:8.1f} s {image_steps / ref_s:8.1f} image-steps/s")
    print(f"  engine:    {eng_calls:6d} UNet calls {eng_s:8.1f} s {image_steps / eng_s:8.1f} image-steps/s")
    batch = max(sizes)
    per_image, best = min((seconds_per_image(model, b), b) for b in sorted({1, batch}))
    print(f"  bound:     the UNet alone takes at best {per_image * 1e3:.1f} ms an image (at batch {best}), so "
          f"{image_steps} image-steps take at least {image_steps * per_image:.1f} s: wall_ratio <= "
          f"{ref_s / (image_steps * per_image):.2f} for any engine on this {model.device}")
    critical = critical_path(model, sizes)
    print(f"  critical:  the engine's {len(sizes)} UNet calls ({len(set(sizes))} batch sizes, {sum(sizes)} "
          f"image-steps), each at the UNet's best time for its batch size, take {critical:.1f} s; the engine "
          f"took {eng_s:.1f} s ({(eng_s - critical) / len(sizes) * 1e3:.1f} ms a call of its own): "
          f"bound_critical_s={critical:.1f} wall_over_critical={eng_s / critical:.2f}")
    print(f"  inside:    the UNet's forwards themselves took {inside:.1f} s of the engine's {eng_s:.1f} s (on average "
          f"{inside / len(sizes) * 1e3:.1f} ms a call, against {critical / len(sizes) * 1e3:.1f} ms at their best): "
          f"the engine's own cost is {(eng_s - inside) / len(sizes) * 1e3:.1f} ms a call, "
          f"wall_over_unet={eng_s / inside:.2f}")
    replay = replayed(model, sizes)
    print(f"  replay:    the same {len(sizes)} calls replayed back to back, nothing else running, take {replay:.1f} s: "
          f"replay_s={replay:.1f} wall_over_replay={eng_s / replay:.2f} (replay over the best-of-5 bound: "
          f"{replay / critical:.2f}, the UNet's own spread)")
    print(f"  alone:     the engine with a UNet that costs nothing (eps_hat = 0) takes {alone_s:.2f} s, "
          f"{alone_s / len(sizes) * 1e3:.2f} ms a call: engine_alone_s={alone_s:.2f}")
    return (f"{name} calls_ratio={ref_calls / eng_calls:.1f} wall_ratio={ref_s / eng_s:.2f} "
            f"bound_critical_s={critical:.1f} wall_over_critical={eng_s / critical:.2f} "
            f"unet_inside_s={inside:.1f} wall_over_unet={eng_s / inside:.2f} "
            f"replay_s={replay:.1f} wall_over_replay={eng_s / replay:.2f} engine_alone_s={alone_s:.2f}")


def counted(model: UNetDenoiser, fn) -> tuple[float, list[int], float]:
    """Wall seconds of fn(), the batch size of every UNet call meanwhile, in order, and the seconds the UNet's
    forwards themselves took meanwhile (what is left of the wall is the engine's own cost)."""
    sizes, began, inside = [], [0.0], [0.0]

    def before(module, args):
        sizes.append(len(args[0]))
        began[0] = time.perf_counter()

    def after(module, args, output):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        inside[0] += time.perf_counter() - began[0]
    hooks = [model.unet.register_forward_pre_hook(before), model.unet.register_forward_hook(after)]
    try:
        return timed(fn), sizes, inside[0]
    finally:
        for hook in hooks:
            hook.remove()


def case_grid(name: str, model: UNetDenoiser, steps: int, image: str | None) -> str:
    print(f"{name}: the noising-then-denoising grid at {steps} steps")
    spec = ForwardBackward("sample" if image is None else "file", steps, 0, min(10, steps - 1), min(8, steps))
    ref = Notebook(model)
    x0 = None if image is None else (
        torch.rand((1, *model.shape), generator=torch.Generator().manual_seed(0)).to(model.device) * 2 - 1)
    ref_s = timed(lambda: ref.recording(spec, x0))
    calls = model.calls
    eng_s, sizes, inside = counted(model, lambda: record(model, spec, image))
    eng_calls = model.calls - calls
    image_steps = ref.calls  # every UNet evaluation of one image is one image-step, in both
    alone = engine_alone(model, lambda: record(model, spec, image))
    return report(name, ref.calls, ref_s, eng_calls, eng_s, image_steps, model, sizes, inside, alone)


def case_full_build(name: str, model: UNetDenoiser, settings: Settings) -> str:
    print(f"{name}: every experiment, as `diffviz cache build` records them")
    specs = [spec for e in NOTEBOOK_EXPERIMENTS for spec in specs_for(e, settings, model.files)]
    ref = Notebook(model)
    ref_s = timed(lambda: [ref.recording(spec, None) for spec in specs])
    calls = model.calls
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DIFFVIZ_CACHE"] = cache
        eng_s, sizes, inside = counted(model, lambda: build(list(NOTEBOOK_EXPERIMENTS), settings, model=model))
    eng_calls = model.calls - calls
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DIFFVIZ_CACHE"] = cache
        alone = engine_alone(model, lambda: build(list(NOTEBOOK_EXPERIMENTS), settings, model=model))
    return report(name, ref.calls, ref_s, eng_calls, eng_s, ref.calls, model, sizes, inside, alone)


def google_architecture(device: str, dtype: str) -> UNetDenoiser:
    torch.manual_seed(0)
    unet = UNet2DModel(**GOOGLE_UNET).to(device, getattr(torch, dtype)).eval()
    parameters = sum(p.numel() for p in unet.parameters())
    print(f"google 256x256 architecture, random weights: {parameters / 1e6:.1f} M parameters")
    files = ModelFiles("google-architecture", Path("."), unet.config, GOOGLE_SCHEDULER, Path(__file__))
    return UNetDenoiser(files, unet, device, dtype)


def flops_per_call(model: UNetDenoiser) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.zeros((1, *model.shape), device=model.device, dtype=getattr(torch, model.dtype))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.unet(x, torch.tensor([500], device=model.device))
    return counter.get_total_flops()


def matmul_peak(device: str) -> float:
    """FLOP/s of a 2048x2048 float32 matmul: what this machine's arithmetic can do at best."""
    a = torch.randn(2048, 2048, device=device)
    a @ a
    return 2 * 2048 ** 3 * 5 / timed(lambda: [a @ a for _ in range(5)])


def efficiency(model: UNetDenoiser, batch: int = 50) -> None:
    """How close the UNet itself is to the machine's arithmetic limit, batched: batching removes
    per-call overhead, but no engine makes the arithmetic cheaper."""
    flops, peak = flops_per_call(model), matmul_peak(model.device)
    rate = flops / seconds_per_image(model, batch)
    print(f"{model.files.name} UNet: {flops / 1e9:.2f} GFLOP an image; at batch {batch} {rate / 1e9:.0f} GFLOP/s, "
          f"{rate / peak:.0%} of this {model.device}'s float32 matmul rate ({peak / 1e9:.0f} GFLOP/s)")


CASES = ("grid50-embedded", "full-build-embedded", "grid-google-arch")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--google-steps", type=int, default=4, help="grid steps on the 256x256 architecture")
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES), help="only these cases (default: all)")
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    lines = []
    embedded = load_model("embedded", device=a.device, dtype=a.dtype)
    if "grid50-embedded" in a.cases:
        lines.append(case_grid("grid50-embedded", embedded, 50, None))
    if "full-build-embedded" in a.cases:
        lines.append(case_full_build("full-build-embedded", embedded, Settings(dtype=a.dtype)))
    if a.device == "cpu" and set(a.cases) == set(CASES):  # measured warm, after the cases
        efficiency(embedded)
    if "grid-google-arch" in a.cases:
        google = google_architecture(a.device, a.dtype)
        with tempfile.TemporaryDirectory() as tmp:
            image = os.path.join(tmp, "x0.png")
            Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), np.uint8)).save(image)
            lines.append(case_grid("grid-google-arch", google, a.google_steps, image))
            if a.device == "cuda":
                steps = 50
                flops = flops_per_call(google)
                peak = {"H100": 989e12, "H200": 989e12, "A100": 312e12}
                card = torch.cuda.get_device_name()
                spec = ForwardBackward("file", steps, 0, 10, 8)
                calls = google.calls
                wall = timed(lambda: record(google, spec, image))
                done = steps * (steps + 1) // 2 + steps - 10
                rate = flops * done / wall
                top = next((v for k, v in peak.items() if k in card), None)
                print(f"grid50-google-arch on {card}: {google.calls - calls} calls, {wall:.1f} s, "
                      f"{flops / 1e9:.0f} GFLOP per image, {rate / 1e12:.1f} TFLOP/s"
                      + (f" = {rate / top:.1%} of bf16 dense peak" if top else ""))
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
