"""Write the embedded model's card (README.md) from its training.json and a sample grid.

    python tools/model_card.py sampling/models/emoji-faces-32 --command "diffviz train ..."
The grid must exist: `diffviz sample --n 16 --steps 50 --seed 0 --out <folder>/samples.png`.
--measured FILE appends FILE (markdown: a "## Measured" section with benchmarks/embedded_quality.py's
command, date and figures) to the card.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from cache.datasets import EMOJI_FACES

CARD = """# emoji-faces-32: diffviz's embedded model

A diffusers `UNet2DModel` (32x32 RGB, {params:.2f} M parameters) trained by diffviz's own
`diffviz train` on the yellow face emoji of Noto Color Emoji. It is the default model of every
diffviz command and scene, so that `./render.sh` makes real videos on a machine with no GPU and
no network. It loads through the same `UNet2DModel.from_pretrained` code as
`google/ddpm-celebahq-256`, and its scheduler is theirs (linear betas 1e-4 to 0.02, 1000 steps,
epsilon prediction, clip_sample, fixed_small variance), so the numbers on screen mean the same.

![16 samples](samples.png)

*`diffviz sample --n 16 --steps 50 --seed 0 --out samples.png` (DDIM, 50 steps).*

## Data
{n_faces} emoji of Unicode's face blocks (U+1F600–U+1F644, U+1F910–U+1F92F, U+1F970–U+1F97A,
U+1F9D0, U+263A, U+2639, U+1FAE0–U+1FAE4, U+1FAE8, without hands, people, clothes and the
non-yellow faces), rendered from the font at training time (`cache/datasets.py`; no image
is stored), on white, resized to 32x32 with Lanczos, flipped left-right at random.
Font: Noto Color Emoji (Debian package `fonts-noto-color-emoji`), SIL Open Font License 1.1.

## Training
```
{command}
```
- {steps} steps at batch {batch}, AdamW lr {lr} (warm-up 200 steps), gradient clipping 1.0,
  EMA of the weights with decay 0.999 (the shipped weights are the EMA's, as float16 safetensors)
- seed {seed}; {seconds:.0f} s of training on a 2-core CPU (AMD EPYC, torch 2.13 CPU build)
- final loss (running mean of the epsilon MSE): {loss:.4f}; the whole curve is `loss.csv` here
- the run was started for more steps and stopped at the checkpoint of step {steps}, when the
  samples had become clean enough; with constant learning rate after warm-up, the command above
  (which resumes from a checkpoint) reproduces it
- UNet: block_out_channels {channels}, layers_per_block 1, self-attention at 8x8 only

## Limits
A small model trained for a short time on a small set: samples are recognisable faces, with
smudges, and many are close to a training emoji. It is there to make every diffviz scene work
offline in seconds; for a talk, build the cache from `google/ddpm-celebahq-256` on a GPU.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--command", required=True)
    ap.add_argument("--measured", type=Path, default=None, help="markdown to append: the Measured section")
    a = ap.parse_args()
    info = json.loads((a.folder / "training.json").read_text())
    spec = info["spec"]
    from safetensors import safe_open
    with safe_open(a.folder / "diffusion_pytorch_model.safetensors", "np") as f:
        params = sum(f.get_tensor(k).size for k in f.keys()) / 1e6
    (a.folder / "README.md").write_text(CARD.format(
        params=params, n_faces=len(EMOJI_FACES), command=a.command, steps=info["step"], batch=spec["batch_size"],
        lr=spec["lr"], seed=spec["seed"], seconds=info["seconds"], loss=info["final_loss"],
        channels=tuple(spec["channels"])) + ("\n" + a.measured.read_text() if a.measured else ""))


if __name__ == "__main__":
    main()
