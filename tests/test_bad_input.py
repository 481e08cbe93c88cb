"""The inventory of bad input: every file diffviz reads and every place it writes, and each way it can be bad.

One row per case: (place, fault, how to make it, command, exit status, expected words). Each row runs the
real command (`diffviz` through click's CliRunner; ./render.sh and tools/ as subprocesses) and asserts:

- the exit status: 2 for a bad option value or setting (click's usage form on stderr: `Usage: ...`,
  `Try '... -h' for help.`, then the one line `Error: ...`), 1 for a fault found later (one line
  `diffviz: ...`); render.sh and tools/ print one line `render.sh: ...`, `frames: ...`, `deck: ...`;
- exactly one line of message, holding the expected words (the file or value, what is wrong, the fix);
- no traceback, on stdout or stderr;
- nothing written: every file under the test's folder (the output, the cache) is as it was before.

Unwritable places: these tests run as root, whom chmod does not stop, and neither /proc nor a read-only
mount is at hand. So a place under a regular file (`file.txt/out.png`) stands for a place that cannot be
written (it fails for root too), and a read-only file system is simulated where diffviz asks it: the
probe that checks a folder before any work gets EROFS. A full disk is simulated as in
test_cache_faults.py: the writer gets ENOSPC after writing half a file.
The manual's "When something is wrong" (docs/errors.md) is made from this table when the site is built
(docs/hooks/errors.py reads ROWS with ast); tests/test_docs.py checks that it has every row.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cache import outputs, store
from sampling.cli import main

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Place:
    """The test's folder, and what a row needs to make its fault there."""
    tmp: Path
    tiny: Path
    monkeypatch: pytest.MonkeyPatch

    def model(self, name: str = "m") -> Path:
        """A copy of the tiny model, to break."""
        return Path(shutil.copytree(self.tiny, self.tmp / name))

    def images(self, name: str = "images", n: int = 3) -> Path:
        from PIL import Image
        folder = self.tmp / name
        folder.mkdir()
        for k in range(n):
            Image.fromarray(np.full((12, 12, 3), 40 * k, np.uint8)).save(folder / f"{k}.png")
        return folder


# --- how to make each fault ------------------------------------------------------------------------

def model_file(name: str, content: bytes | str | None):
    """The model folder m/ with one file replaced (None: removed)."""
    def make(p: Place) -> None:
        file = p.model() / name
        if content is None:
            file.unlink()
        else:
            file.write_bytes(content.encode() if isinstance(content, str) else content)
    make.__doc__ = f"m/{name}: " + ("removed" if content is None else repr(content)[:40])
    return make


def truncated_model_file(name: str):
    def make(p: Place) -> None:
        file = p.model() / name
        data = file.read_bytes()
        file.write_bytes(data[:len(data) // 2])
    make.__doc__ = f"m/{name} cut to its first half"
    return make


def edited_json(name: str, **changes):
    def make(p: Place) -> None:
        file = p.model() / name
        file.write_text(json.dumps(json.loads(file.read_text()) | changes))
    make.__doc__ = f"m/{name} with {changes}"
    return make


def without(key: str):
    def make(p: Place) -> None:
        file = p.model() / "config.json"
        config = json.loads(file.read_text())
        del config[key]
        file.write_text(json.dumps(config))
    make.__doc__ = f"m/config.json without {key}"
    return make


def truncated_bin_weights(p: Place) -> None:
    """m/ with .bin weights (torch's format) instead of safetensors, cut to their first half"""
    from diffusers import UNet2DModel
    folder = p.model()
    (folder / "diffusion_pytorch_model.safetensors").unlink()
    UNet2DModel.from_pretrained(p.tiny).save_pretrained(folder, safe_serialization=False)
    data = (folder / "diffusion_pytorch_model.bin").read_bytes()
    (folder / "diffusion_pytorch_model.bin").write_bytes(data[:len(data) // 2])


def hub_snapshot_with_bad_config(p: Place) -> None:
    """test/tiny in a Hugging Face cache of the test's own, its config.json cut short"""
    import huggingface_hub.constants
    hub = p.tmp / "hub"
    snapshot = hub / "models--test--tiny" / "snapshots" / ("0" * 40)
    shutil.copytree(p.tiny, snapshot)
    (snapshot / "config.json").write_text('{"_class_name": "UNet2DModel", "sample_')
    (hub / "models--test--tiny" / "refs").mkdir()
    (hub / "models--test--tiny" / "refs" / "main").write_text("0" * 40)
    p.monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))


def image_folder_with(name: str, content: bytes | None):
    """images/ with a file added (content None: a JPEG cut to its first half)"""
    def make(p: Place) -> None:
        folder = p.images()
        if content is None:
            truncated_jpeg(p, folder / name)
        else:
            (folder / name).write_bytes(content)
    make.__doc__ = f"images/ with {name} " + ("cut to its first half" if content is None else repr(content)[:30])
    return make


def empty_folder(name: str):
    def make(p: Place) -> None:
        (p.tmp / name).mkdir()
    make.__doc__ = f"{name}/, empty"
    return make


def a_file(name: str, content: bytes | str = b"text, not what is asked for\n"):
    def make(p: Place) -> None:
        (p.tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (p.tmp / name).write_bytes(content.encode() if isinstance(content, str) else content)
    make.__doc__ = f"{name}: {repr(content)[:40]}"
    return make


def truncated_jpeg(p: Place, file: Path | None = None) -> None:
    """x0.jpg: a JPEG cut to its first half (its header is whole: Pillow opens and verifies it, and fails
    only when it decodes the pixels)"""
    from PIL import Image
    file = file or p.tmp / "x0.jpg"
    Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)).save(file)
    data = file.read_bytes()
    file.write_bytes(data[:len(data) // 2])


def a_video(p: Place) -> None:
    """video.mp4: two seconds of H.264"""
    import av
    with av.open(str(p.tmp / "video.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 10 * i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def nothing(p: Place) -> None:
    """nothing made"""


def env(name: str, value: str, also=nothing):
    def make(p: Place) -> None:
        also(p)
        p.monkeypatch.setenv(name, value.format(tmp=p.tmp))
    make.__doc__ = f"{name}={value}" + ("" if also is nothing else f", {also.__doc__}")
    return make


def checkpoint_of(size: int):
    """trained/: one step of `diffviz train` at another --size, so its checkpoint.pt holds other settings"""
    def make(p: Place) -> None:
        p.images()
        done = CliRunner().invoke(main, ["train", "--dataset", str(p.tmp / "images"), "--out", str(p.tmp / "trained"),
                                         "--steps", "1", "--size", str(size), "--batch-size", "2", "--device", "cpu"])
        assert done.exit_code == 0, done.output
    make.__doc__ = f"trained/: one step of `diffviz train --size {size}`"
    return make


def truncated_checkpoint(p: Place) -> None:
    """trained/checkpoint.pt: 100 bytes of a torch checkpoint"""
    import torch
    p.images()
    (p.tmp / "trained").mkdir()
    torch.save({"step": 1}, p.tmp / "trained" / "checkpoint.pt")
    data = (p.tmp / "trained" / "checkpoint.pt").read_bytes()
    (p.tmp / "trained" / "checkpoint.pt").write_bytes(data[:100])


class RunsCode:
    """Unpickled, it writes ran.txt beside itself: what a hostile checkpoint would do with os.system."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def hostile_checkpoint(p: Place) -> None:
    """trained/checkpoint.pt: a pickle that writes trained/ran.txt when it is loaded"""
    import torch
    p.images()
    (p.tmp / "trained").mkdir()
    torch.save({"spec": RunsCode(p.tmp / "trained" / "ran.txt"), "step": 1}, p.tmp / "trained" / "checkpoint.pt")


def disk_full_under(path: str):
    """Path.write_text under the test's `path` writes half a file and then gets ENOSPC"""
    real = Path.write_text

    def make(p: Place) -> None:
        def write_text(self, text, *args, **kwargs):
            if (p.tmp / path) in Path(self).parents:
                real(self, text[:len(text) // 2], *args, **kwargs)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(self, text, *args, **kwargs)
        p.monkeypatch.setattr(Path, "write_text", write_text)
    make.__doc__ = f"a full disk under {path}/: a file written there gets half its text, then ENOSPC"
    return make


def cache_entry(break_it):
    """A stored trajectory in the test's cache (its key starts with 'ab'), then broken"""
    def make(p: Place) -> None:
        entry = store.write("ab" * 32, {"x": np.arange(12, dtype=np.float32)},
                            {"spec": {"experiment": "reverse"}, "build_command": "diffviz cache build reverse"})
        break_it(entry.path)
    make.__doc__ = f"a cache entry, {break_it.__doc__}"
    return make


def arrays_removed(folder: Path) -> None:
    """its trajectory.npz removed"""
    (folder / store.ARRAYS).unlink()


def arrays_truncated(folder: Path) -> None:
    """its trajectory.npz cut to its first half"""
    data = (folder / store.ARRAYS).read_bytes()
    (folder / store.ARRAYS).write_bytes(data[:len(data) // 2])


def manifest_removed(folder: Path) -> None:
    """its manifest.json removed"""
    (folder / store.MANIFEST).unlink()


def manifest_emptied(folder: Path) -> None:
    """its manifest.json emptied"""
    (folder / store.MANIFEST).write_text("")


def manifest_truncated(folder: Path) -> None:
    """its manifest.json cut to its first half"""
    data = (folder / store.MANIFEST).read_text()
    (folder / store.MANIFEST).write_text(data[:len(data) // 2])


def read_only(name: str, also=nothing):
    """The folder `name` answers EROFS when diffviz checks it by writing a file there (see the docstring)."""
    real = tempfile.mkstemp

    def make(p: Place) -> None:
        also(p)
        folder = p.tmp / name
        folder.mkdir(exist_ok=True)

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == folder:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            return real(*args, dir=dir, **kwargs)
        p.monkeypatch.setattr(outputs.tempfile, "mkstemp", mkstemp)
    make.__doc__ = f"{name}/ on a read-only file system (simulated: EROFS)"
    return make


def full_disk(module, function: str, also=nothing):
    """`module.function`, the writer, writes half a file and then gets ENOSPC"""
    def make(p: Place) -> None:
        also(p)

        def write(*args, **kwargs):  # np.save(file, array), np.savez(file, **arrays), torch.save(obj, file)
            file = next(a for a in args if isinstance(a, (str, Path)) or hasattr(a, "write"))
            if isinstance(file, (str, Path)):
                Path(file).write_bytes(b"half a file")
            else:
                file.write(b"half a file")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        p.monkeypatch.setattr(module, function, write)
    make.__doc__ = f"a full disk: {module.__name__}.{function} writes half a file, then gets ENOSPC"
    return make


def _full_disk_cases():
    import torch

    import cache.store
    import sampling.sample
    return [
        full_disk(sampling.sample.np, "save"),
        full_disk(torch, "save", also=lambda p: p.images()),
        full_disk(cache.store.np, "savez"),
    ]


FULL_SAMPLE, FULL_TRAIN, FULL_CACHE = _full_disk_cases()

def drawing(**changes) -> str:
    """A drawing as the sandbox saves it (cache/drawings.py), with `changes` to its keys (None: removed)."""
    value = {"format": "diffviz-drawing", "version": 1, "points": [[0.1, 0.2], [0.3, -0.4]], "classes": [0, 1]}
    value |= changes
    return json.dumps({k: v for k, v in value.items() if v is not None})


# --- the commands ----------------------------------------------------------------------------------

SAMPLE = "diffviz sample --model {tmp}/m --n 1 --steps 2 --device cpu --out {tmp}/x.npy"
SAMPLE_EXACT = "diffviz sample --model exact:{tmp}/images --n 1 --steps 2 --out {tmp}/x.npy"
BUILD = "diffviz cache build reverse --model {tmp}/m --steps 2 --patch-x 0 --patch-y 0"
FORWARD = "diffviz cache build forward --model {tiny} --steps 2 --image {tmp}/x0.jpg"
DRAWN = "diffviz cache build toy --model mixture:{tmp}/d.json"
TRAIN = "diffviz train --dataset {tmp}/images --out {tmp}/trained --steps 1 --size 8 --batch-size 2 --device cpu"
RENDER = "render.sh --quality l --out {tmp}/file.txt/out ForwardProcess"
FRAMES = "tools/frames.py {tmp}/video.mp4 {tmp}/frames --still"

# --- the inventory ---------------------------------------------------------------------------------

ROWS = [
    # place, fault, how to make it, command, exit status, expected words
    ("settings file", "--config names a missing file", nothing,
     "diffviz cache build --config {tmp}/no-such.toml", 2, ["--config", "no-such.toml does not exist",
                                                             "leave --config out"]),
    ("settings file", "DIFFVIZ_CONFIG names a missing file", env("DIFFVIZ_CONFIG", "{tmp}/no-such.toml"),
     "diffviz cache build", 2, ["DIFFVIZ_CONFIG=", "no-such.toml does not exist", "unset it"]),
    ("settings file", "--config names a folder", empty_folder("settings"),
     "diffviz cache build --config {tmp}/settings", 2, ["settings is a folder, not a settings file"]),
    ("settings file", "not valid TOML (cut short)", a_file("s.toml", "steps = 10\nseed = "),
     "diffviz cache build --config {tmp}/s.toml", 2, ["s.toml: not valid TOML", "at end of document", "fix it there"]),
    ("settings file", "not text (binary)", a_file("s.toml", b"\xff\xfe\x00steps"),
     "diffviz cache build --config {tmp}/s.toml", 2, ["s.toml: not UTF-8 text", "fix the path"]),

    ("model config.json", "missing", model_file("config.json", None),
     SAMPLE, 1, ["m is not a diffusers model folder (no config.json)"]),
    ("model config.json", "not valid JSON", model_file("config.json", "{'sample_size': 16}"),
     SAMPLE, 1, ["m/config.json is not valid JSON", "copy the model folder again"]),
    ("model config.json", "empty", model_file("config.json", ""),
     SAMPLE, 1, ["m/config.json is empty", "copy the model folder again"]),
    ("model config.json", "truncated", truncated_model_file("config.json"),
     SAMPLE, 1, ["m/config.json is not valid JSON", "copy the model folder again"]),
    ("model config.json", "JSON, not an object", model_file("config.json", "[1, 2]"),
     SAMPLE, 1, ["m/config.json holds a JSON list, not an object"]),
    ("model config.json", "no sample_size", without("sample_size"),
     SAMPLE, 1, ["m/config.json gives no image size", "sample_size"]),
    ("model config.json", "another architecture than the weights", edited_json("config.json", layers_per_block=2),
     SAMPLE, 1, ["diffusion_pytorch_model.safetensors cannot be loaded", "Error(s) in loading state_dict",
                 "copy the model folder again"]),
    ("model config.json", "an image side of 100,000 pixels", edited_json("config.json", sample_size=100_000),
     SAMPLE, 1, ["m: its config.json asks for sample_size 100000 (the image side): one image needs about",
                 "GiB of activations, and this machine has", "GiB free; use a model made for this machine"]),
    ("model config.json", "more channels and layers than memory holds",
     edited_json("config.json", block_out_channels=[8192, 16384], layers_per_block=4),
     SAMPLE, 1, ["asks for block_out_channels [8192, 16384] with layers_per_block 4: its weights need about",
                 "GiB free"]),
    ("hub model config.json", "truncated", hub_snapshot_with_bad_config,
     "diffviz sample --model test/tiny --n 1 --out {tmp}/x.npy", 1,
     ["test/tiny:", "config.json is not valid JSON",
      "download the model again with `hf download test/tiny --force-download`"]),
    ("model scheduler_config.json", "missing", model_file("scheduler_config.json", None),
     SAMPLE, 1, ["has no scheduler_config.json", "copy the model folder again"]),
    ("model scheduler_config.json", "empty", model_file("scheduler_config.json", ""),
     SAMPLE, 1, ["m/scheduler_config.json is empty"]),
    ("model scheduler_config.json", "truncated", truncated_model_file("scheduler_config.json"),
     SAMPLE, 1, ["m/scheduler_config.json is not valid JSON"]),
    ("model scheduler_config.json", "a value diffusers does not know",
     edited_json("scheduler_config.json", beta_schedule="cubic"),
     SAMPLE, 1, ["scheduler_config.json cannot make a DDPMScheduler", "cubic"]),
    ("model model_index.json", "truncated", model_file("model_index.json", '{"unet": ["diffusers", '),
     SAMPLE, 1, ["m/model_index.json is not valid JSON"]),
    ("model weights", "missing", model_file("diffusion_pytorch_model.safetensors", None),
     SAMPLE, 1, ["has no weights", "diffusion_pytorch_model.safetensors or diffusion_pytorch_model.bin"]),
    ("model weights .safetensors", "empty", model_file("diffusion_pytorch_model.safetensors", b""),
     SAMPLE, 1, ["m/diffusion_pytorch_model.safetensors cannot be loaded", "copy the model folder again"]),
    ("model weights .safetensors", "truncated", truncated_model_file("diffusion_pytorch_model.safetensors"),
     SAMPLE, 1, ["m/diffusion_pytorch_model.safetensors cannot be loaded"]),
    ("model weights .bin", "truncated", truncated_bin_weights,
     SAMPLE, 1, ["m/diffusion_pytorch_model.bin cannot be loaded"]),

    ("model training.json (memorisation)", "truncated", model_file("training.json", '{"spec": {"datas'),
     "diffviz cache build memorisation --model {tmp}/m --steps 2", 1, ["m/training.json is not valid JSON"]),
    ("model training.json (memorisation)", "names no dataset", model_file("training.json", '{"spec": {}}'),
     "diffviz cache build memorisation --model {tmp}/m --steps 2", 1,
     ["training.json names no training images"]),

    ("--image", "missing", nothing, FORWARD, 2, ["--image", "x0.jpg' does not exist", "'sample'"]),
    ("--image", "a folder", empty_folder("x0.jpg"), FORWARD, 2, ["--image", "x0.jpg' is a folder"]),
    ("--image", "empty", a_file("x0.jpg", b""), FORWARD, 2, ["--image", "x0.jpg' is not an image Pillow can read"]),
    ("--image", "not an image", a_file("x0.jpg"), FORWARD, 2, ["x0.jpg' is not an image Pillow can read"]),
    ("--image", "truncated JPEG", truncated_jpeg, FORWARD, 2, ["x0.jpg' is not an image Pillow can read"]),

    ("exact:FOLDER", "missing", nothing, SAMPLE_EXACT, 1, ["images is not a folder", "exact:emoji-faces"]),
    ("exact:FOLDER", "a file", a_file("images"), SAMPLE_EXACT, 1, ["images is not a folder"]),
    ("exact:FOLDER", "empty", empty_folder("images"), SAMPLE_EXACT, 1, ["images holds no images"]),
    ("exact:FOLDER", "an image Pillow cannot read", image_folder_with("3.png", b"not a png"), SAMPLE_EXACT, 1,
     ["images/3.png is not an image Pillow can read", "remove it from the folder"]),
    ("exact:FOLDER", "a truncated image", image_folder_with("3.jpg", None), SAMPLE_EXACT, 1,
     ["images/3.jpg is not an image Pillow can read", "image file is truncated", "remove it from the folder"]),

    ("mixture:FILE.json (a drawing)", "missing", nothing, DRAWN, 1,
     ["model 'mixture:", "d.json does not exist", "save the drawing", "mixture:smiley"]),
    ("mixture:FILE.json (a drawing)", "truncated", a_file("d.json", drawing()[:30]), DRAWN, 1,
     ["d.json is not valid JSON", "save it again"]),
    ("mixture:FILE.json (a drawing)", "JSON, not an object", a_file("d.json", "[[0.1, 0.2]]"), DRAWN, 1,
     ["d.json holds a JSON list, not a drawing object"]),
    ("mixture:FILE.json (a drawing)", "an unknown key", a_file("d.json", drawing(script="alert(1)")), DRAWN, 1,
     ["d.json has unknown keys 'script'", "only format, version, points, classes"]),
    ("mixture:FILE.json (a drawing)", "another format", a_file("d.json", drawing(format="svg")), DRAWN, 1,
     ["format is 'svg', not 'diffviz-drawing'"]),
    ("mixture:FILE.json (a drawing)", "no classes", a_file("d.json", drawing(classes=None)), DRAWN, 1,
     ["d.json has no 'classes'"]),
    ("mixture:FILE.json (a drawing)", "a NaN coordinate", a_file("d.json", drawing().replace("0.3", "NaN")), DRAWN, 1,
     ["d.json is not valid JSON", "NaN is not a number JSON allows"]),
    ("mixture:FILE.json (a drawing)", "a point outside the square",
     a_file("d.json", drawing(points=[[0.1, 0.2], [0.3, 9.5]])), DRAWN, 1,
     ["points[1][1] is 9.5, outside [-1.27, 1.27]", "move the point inside it"]),
    ("mixture:FILE.json (a drawing)", "a point that is not a pair",
     a_file("d.json", drawing(points=[[0.1, 0.2], [0.3, True]])), DRAWN, 1,
     ["points[1] is [0.3, true], not a pair of numbers"]),
    ("mixture:FILE.json (a drawing)", "601 points", a_file("d.json", drawing(points=[[0, 0]] * 601, classes=[0] * 601)),
     DRAWN, 1, ["points must be a list of 1 to 600", "not 601 of them", "draw fewer points"]),
    ("mixture:FILE.json (a drawing)", "a third class", a_file("d.json", drawing(classes=[0, 2])), DRAWN, 1,
     ["classes[1] is 2, not a brush 0 or 1"]),
    ("mixture:FILE.json (a drawing)", "over 256 KiB", a_file("d.json", drawing() + " " * 300_000), DRAWN, 1,
     ["d.json is 300,", "bytes, over the 262,144"]),
    ("mixture:FILE.json (a drawing)", "one brush only, for guidance", a_file("d.json", drawing(classes=[0, 0])),
     DRAWN.replace("toy", "guidance"), 2,
     ["--model", "guidance experiment needs a drawing of both brushes", "2 points of brush 0 and 0 of brush 1",
      "draw some with the other brush"]),

    ("train --dataset FOLDER", "missing", nothing, TRAIN, 1,
     ["images' is neither a built-in dataset nor a folder", "give a folder of images"]),
    ("train --dataset FOLDER", "a file", a_file("images"), TRAIN, 1, ["images' is a file, not a folder"]),
    ("train --dataset FOLDER", "empty", empty_folder("images"), TRAIN, 1, ["images holds no images"]),
    ("train --dataset FOLDER", "an image Pillow cannot read", image_folder_with("3.png", b"not a png"), TRAIN, 1,
     ["images/3.png is not an image Pillow can read", "remove it from"]),
    ("train --dataset FOLDER", "a truncated image", image_folder_with("3.jpg", None), TRAIN, 1,
     ["images/3.jpg is not an image Pillow can read", "image file is truncated"]),
    ("train --channels", "not numbers", nothing, TRAIN + " --channels 32,sixty", 2,
     ["--channels", "'32,sixty' is not a list of at least two multiples of 8"]),
    ("train --channels", "not multiples of 8", nothing, TRAIN + " --channels 32,44", 2,
     ["--channels", "'32,44' is not a list of at least two multiples of 8"]),
    ("train --norm-groups", "not dividing the channels", nothing,
     TRAIN + " --norm-groups 5", 2, ["--norm-groups", "5 does not divide every channel count of (32, 64, 128)"]),
    ("train --p2-gamma", "out of range", nothing, TRAIN + " --p2-gamma 5", 2,
     ["--p2-gamma", "5.0 is not in the range 0<=x<=4"]),
    ("train --out checkpoint.pt", "truncated", truncated_checkpoint, TRAIN, 1,
     ["trained/checkpoint.pt is not a checkpoint diffviz train can resume from", "delete it"]),
    ("train --out checkpoint.pt", "a pickle that runs code when loaded", hostile_checkpoint, TRAIN, 1,
     ["trained/checkpoint.pt is not a checkpoint diffviz train can resume from: it asks to run code",
      "Unsupported global", "delete it"]),
    ("train --out checkpoint.pt", "made with other settings", checkpoint_of(size=16), TRAIN, 1,
     ["trained/checkpoint.pt was made with other settings", "use another --out"]),

    ("cache trajectory.npz", "missing", cache_entry(arrays_removed), "diffviz cache show abab", 1,
     ["is corrupt", "rebuild it with `diffviz cache build reverse`"]),
    ("cache trajectory.npz", "truncated", cache_entry(arrays_truncated), "diffviz cache show abab", 1,
     ["is corrupt", "rebuild it with `diffviz cache build reverse`"]),
    ("cache manifest.json", "missing", cache_entry(manifest_removed), "diffviz cache show abab", 1,
     ["has no readable manifest", "diffviz cache clear"]),
    ("cache manifest.json", "empty", cache_entry(manifest_emptied), "diffviz cache show abab", 1,
     ["has no readable manifest", "diffviz cache clear"]),
    ("cache manifest.json", "truncated", cache_entry(manifest_truncated), "diffviz cache show abab", 1,
     ["has no readable manifest", "diffviz cache clear"]),

    ("sample --out FILE", "its folder is missing", nothing,
     "diffviz sample --model {tiny} --out {tmp}/no-such/x.png", 2,
     ["--out", "x.png cannot be written: the folder", "no-such does not exist", "mkdir -p"]),
    ("sample --out FILE", "under a regular file (cannot be written, even by root)", a_file("file.txt"),
     "diffviz sample --model {tiny} --out {tmp}/file.txt/x.png", 2,
     ["--out", "x.png cannot be written:", "file.txt is a file, not a folder"]),
    ("sample --out FILE", "a folder", empty_folder("x.png"),
     "diffviz sample --model {tiny} --out {tmp}/x.png", 2, ["--out", "x.png is a folder", "give a file name"]),
    ("sample --out FILE", "on a read-only file system", read_only("ro"),
     "diffviz sample --model {tiny} --out {tmp}/ro/x.png", 2,
     ["--out", "x.png cannot be written: writing in", "fails (Read-only file system)"]),
    ("sample --out FILE", "not .png or .npy", nothing,
     "diffviz sample --model {tiny} --out {tmp}/x.jpg", 2, ["--out", "x.jpg must end in .png", "or .npy"]),
    ("sample --out FILE", "the disk is full", FULL_SAMPLE,
     "diffviz sample --model {tiny} --n 1 --steps 2 --device cpu --out {tmp}/x.npy", 1,
     ["x.npy was not written: the disk under", "is full", "free some space"]),

    ("train --out FOLDER", "under a regular file", a_file("file.txt"),
     "diffviz train --dataset {tmp}/images --out {tmp}/file.txt/trained", 2,
     ["--out", "trained cannot be made: ", "file.txt is a file, not a folder"]),
    ("train --out FOLDER", "a regular file", a_file("trained"), TRAIN, 2, ["--out", "trained is a file, not a folder"]),
    ("train --out FOLDER", "on a read-only file system", read_only("trained", also=lambda p: p.images()), TRAIN, 2,
     ["--out", "trained cannot be written: writing in", "fails (Read-only file system)"]),
    ("train --out FOLDER", "the disk is full", FULL_TRAIN, TRAIN, 1,
     ["the disk under", "trained is full", "nothing was kept", "free some space"]),

    ("cache folder (DIFFVIZ_CACHE)", "under a regular file", env("DIFFVIZ_CACHE", "{tmp}/file.txt/cache",
                                                               also=a_file("file.txt")),
     "diffviz cache build reverse --model {tiny} --steps 2", 1,
     ["the cache folder", "(DIFFVIZ_CACHE) cannot be made", "file.txt is a file", "point DIFFVIZ_CACHE at"]),
    ("cache folder (DIFFVIZ_CACHE)", "a regular file", env("DIFFVIZ_CACHE", "{tmp}/file.txt", also=a_file("file.txt")),
     "diffviz cache build reverse --model {tiny} --steps 2", 1, ["file.txt (DIFFVIZ_CACHE) is a file, not a folder"]),
    ("cache folder (DIFFVIZ_CACHE)", "on a read-only file system", env("DIFFVIZ_CACHE", "{tmp}/cache",
                                                                     also=read_only("cache")),
     "diffviz cache build reverse --model {tiny} --steps 2", 1,
     ["cache (DIFFVIZ_CACHE) cannot be written: writing in", "fails (Read-only file system)"]),
    ("cache folder (DIFFVIZ_CACHE)", "the disk is full", FULL_CACHE, BUILD.replace("{tmp}/m", "{tiny}"), 1,
     ["is full: nothing was stored", "diffviz cache clear"]),

    ("web --out FOLDER", "under a regular file", a_file("file.txt"), "diffviz web --out {tmp}/file.txt/site", 2,
     ["--out", "site/explorer cannot be made: ", "file.txt is a file, not a folder"]),
    ("web --out FOLDER", "its explorer/ a regular file", a_file("site/explorer"), "diffviz web --out {tmp}/site", 2,
     ["--out", "site/explorer is a file, not a folder"]),
    ("web --out FOLDER", "on a read-only file system", read_only("site"), "diffviz web --out {tmp}/site", 2,
     ["--out", "explorer cannot be written: writing in", "fails (Read-only file system)"]),
    ("web --out FOLDER", "the disk is full", disk_full_under("site"), "diffviz web --out {tmp}/site/deeper", 1,
     ["site/deeper/explorer was not written: the disk under", "is full", "free some space"]),

    ("render.sh --out", "under a regular file", a_file("file.txt"), RENDER, 2,
     ["render.sh: --out", "file.txt is a file, not a folder"]),
    ("render.sh --out", "a regular file", a_file("file.txt"), RENDER.replace("file.txt/out", "file.txt"), 2,
     ["render.sh: --out", "file.txt is a file, not a folder"]),
    ("render.sh settings file", "DIFFVIZ_CONFIG names a missing file", env("DIFFVIZ_CONFIG", "{tmp}/no-such.toml"),
     RENDER.replace("file.txt/out", "out"), 2,
     ["render.sh: DIFFVIZ_CONFIG=", "no-such.toml does not exist", "unset it"]),

    ("tools/frames.py VIDEO", "missing", nothing, FRAMES, 1, ["frames:", "video.mp4: no such file"]),
    ("tools/frames.py VIDEO", "not a video", a_file("video.mp4", os.urandom(4000)), FRAMES, 1,
     ["frames:", "video.mp4 is not a video PyAV can read"]),
    ("tools/frames.py OUT", "under a regular file", lambda p: (a_video(p), a_file("file.txt")(p)),
     "tools/frames.py {tmp}/video.mp4 {tmp}/file.txt/frames --still", 1,
     ["frames:", "frames cannot be made:", "file.txt is a file, not a folder"]),
    ("tools/frames.py OUT", "a regular file", lambda p: (a_video(p), a_file("frames")(p)),
     "tools/frames.py {tmp}/video.mp4 {tmp}/frames --still", 1,
     ["frames:", "frames is a file, not a folder"]),
    ("tools/deck.py slides", "a scene's slides JSON truncated", a_file("slides/Forward.json", '{"slides": ['),
     "tools/deck.py {tmp} Forward", 1, ["deck:", "slides/Forward.json cannot be read",
                                        "./render.sh --slides Forward"]),
]


def _id(row) -> str:
    """The row's test id: its place and fault, e.g. model-config.json-not-valid-json."""
    return re.sub(r"[^a-z0-9.]+", "-", f"{row[0]} {row[1]}".lower()).strip("-")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under folder, with its size and modification time; the cache's lock files (empty, made
    by a build that reaches its keys) are not entries and are left out."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and p.parent.name != ".locks"}


def message(stderr: str, status: int) -> str:
    """The one line of message: click's usage errors (status 2) come after its Usage and Try lines."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if status == 2 and lines and lines[0].startswith("Usage: "):
        tried = next(i for i, line in enumerate(lines) if line.startswith("Try '"))
        lines = lines[tried + 1:]
        assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert len(lines) == 1, f"not one line of message:\n{stderr}"
    return lines[0]


def run(command: str) -> tuple[int, str, str]:
    """The command as a user runs it: diffviz in this process, render.sh and tools/ as programs."""
    program, *args = command.split()
    if program == "diffviz":
        done = CliRunner().invoke(main, args, prog_name="diffviz", catch_exceptions=False)
        return done.exit_code, done.stdout, done.stderr
    if program == "render.sh":
        argv = [str(ROOT / "render.sh"), *args]
    else:
        argv = [sys.executable, str(ROOT / program), *args]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("place, fault, make, command, status, words", ROWS, ids=[_id(r) for r in ROWS])
def test_bad_input_ends_in_one_line_with_the_fix_and_writes_nothing(tmp_path, tiny_model, monkeypatch, place,
                                                                    fault, make, command, status, words):
    work = tmp_path / "work"  # what the row makes, apart from the conftest's settings file and cache
    work.mkdir()
    monkeypatch.chdir(work)
    make(Place(work, tiny_model, monkeypatch))
    before = snapshot(tmp_path)

    code, stdout, stderr = run(command.format(tmp=work, tiny=tiny_model))

    assert code == status, f"exit status {code}, not {status}:\n{stdout}\n{stderr}"
    assert "Traceback" not in stdout + stderr
    line = message(stderr, status)
    prefix = {1: ("diffviz: ", "frames: ", "deck: "), 2: ("Error: ", "render.sh: ")}[status]
    assert line.startswith(prefix), line
    for word in words:
        assert word.format(tmp=work) in line, f"{word!r} is not in: {line}"
    assert snapshot(tmp_path) == before, "something was written"


def noisy_video(path: Path) -> None:
    """Two seconds of noise, 128x128: its PNG and GIF are tens of kilobytes."""
    import av
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 128, 128, "yuv420p"
        for _ in range(20):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (128, 128, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


@pytest.mark.parametrize("options, status, words", [
    ("ro,size=1m", 1, ["frames: ", "frames cannot be written: writing in", "fails (Read-only file system)"]),
    ("size=8k", 1, ["frames: ", "was not written: the disk under", "is full; free some space"]),
], ids=["read-only", "full-disk"])
def test_frames_on_a_small_or_read_only_file_system(tmp_path, options, status, words):
    """tools/frames.py OUT on a tmpfs mounted read-only, or too small for its still and GIF: one line, a
    non-zero exit, no traceback, nothing written there (skipped, saying why, where no tmpfs can be mounted)."""
    noisy_video(tmp_path / "video.mp4")
    (tmp_path / "fs").mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(tmp_path / "fs")],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        out = tmp_path / "fs" / ("frames" if "ro" in options else "")
        code, stdout, stderr = run(f"tools/frames.py {tmp_path / 'video.mp4'} {out} --still --gif")
        assert code == status and "Traceback" not in stdout + stderr, stderr
        line = message(stderr, status)
        assert all(word in line for word in words), line
        assert list((tmp_path / "fs").rglob("*")) == []
    finally:
        subprocess.run(["umount", str(tmp_path / "fs")], capture_output=True)
