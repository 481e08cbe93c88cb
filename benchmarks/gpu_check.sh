#!/usr/bin/env bash
# The GPU check, prepared for one call on a lent H100/H200 (not run by ./test.sh or CI).
# That machine has torch but not diffusers: carry the wheels (see the device tool's notes), e.g.
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl \
#       diffusers huggingface_hub safetensors click hf-xet filelock fsspec tqdm pyyaml requests regex importlib_metadata zipp
# and, for step 3, the emoji font (that machine has no fonts-noto-color-emoji; 11 MB):
#   cp /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf .whl/
# then run:  bash benchmarks/gpu_check.sh   (with carry: [".whl"]); steps 1 and 2 end well inside 8 minutes,
# step 3 takes TRAIN_MINUTES (4) and about a minute more: about 5 minutes of the GPU. A call may run
# 10 minutes at most, so give step 3 a call of its own on the warm machine (GPU_CHECK_STEPS=train,
# timeout_s 420), or skip it (GPU_CHECK_STEPS="parity benchmark"). A second call on the same warm
# machine resumes the run from its checkpoint in /tmp for another TRAIN_MINUTES.
#   GPU_CHECK_STEPS="parity benchmark train"   the steps to run (default: all three), e.g. "train" alone
#                                                as a call of its own, or "parity benchmark" to skip training
#   TRAIN_MINUTES=4                             step 3's wall-clock budget for training, in minutes
#   TRAIN_DEVICE=cuda                           step 3's device (cpu: a dry run of the step on any machine,
#                                                e.g. GPU_CHECK_STEPS=train TRAIN_MINUTES=0.2 TRAIN_DEVICE=cpu)
set -euo pipefail
STEPS=" ${GPU_CHECK_STEPS:-parity benchmark train} "
OUT=${OUT:-/tmp/gpu_check_out}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; fi
# 1. parity: the samplers on CUDA float32 against diffusers' schedulers on CUDA, and CUDA against CPU
if [[ $STEPS == *" parity "* ]]; then
timeout 180 python3 - <<'PY'
import torch
from diffusers import DDIMPipeline, DDPMPipeline
from sampling.loading import load_model
from sampling.samplers import Schedule, ddim_timesteps, ddpm_timesteps, sample_ddim, sample_ddpm
for dev in ("cpu", "cuda"):
    m = load_model("embedded", device=dev)
    for cls, sched, ts, sampler in ((DDIMPipeline, m.ddim(), ddim_timesteps, sample_ddim),
                                    (DDPMPipeline, m.ddpm(), ddpm_timesteps, sample_ddpm)):
        pipe = cls(unet=m.unet, scheduler=sched); pipe.set_progress_bar_config(disable=True)
        ref = pipe(batch_size=4, generator=torch.Generator().manual_seed(0), num_inference_steps=20, output_type="np").images
        t, tp = ts(sched, 20); g = torch.Generator().manual_seed(0)
        x = torch.randn((4, *m.shape), generator=g).to(dev)
        ours = (sampler(m, x, Schedule.of(sched), t, tp, generator=g) / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
        err = abs(ours - ref).max()
        print(f"{dev} {cls.__name__}: max abs difference to the pipeline {err:.2e}", "ok" if err <= 1e-4 else "FAIL")
PY
fi
# 2. the benchmark on the GPU, float32 and bfloat16
if [[ $STEPS == *" benchmark "* ]]; then
timeout 240 python3 benchmarks/sampling.py --device cuda --dtype float32 --google-steps 50
timeout 120 python3 benchmarks/sampling.py --device cuda --dtype bfloat16 --google-steps 50 | tail -4
fi
# 3. issue 19: the embedded model's recipe (sampling/models/emoji-faces-32/README.md: batch 16, lr 5e-4,
# EMA 0.999, seed 0), trained from scratch on the GPU for TRAIN_MINUTES of wall clock instead of 4,000
# CPU steps; --steps is only a ceiling (the learning rate is constant after warm-up, so stopping early
# is the same recipe stopped sooner). The model folder comes back under $OUT/emoji-faces-32-gpu/ with
# its loss curve, a sample grid and benchmarks/embedded_quality.py's figures; the resume state
# (checkpoint.pt, 45 MB) does not come back. Ship the weights only if they measure better.
if [[ $STEPS == *" train "* ]]; then
  minutes=${TRAIN_MINUTES:-4} device=${TRAIN_DEVICE:-cuda} slow=1
  [ "$device" = cpu ] && slow=10  # a dry run's sampling takes minutes, not seconds
  run=/tmp/emoji-faces-32-gpu got=$OUT/emoji-faces-32-gpu
  [ -f .whl/NotoColorEmoji.ttf ] && export DIFFVIZ_EMOJI_FONT=$PWD/.whl/NotoColorEmoji.ttf
  mkdir -p "$got"
  # the limit ends the run; timeout only guards against a hang (a killed run keeps its last
  # checkpoint's model folder, written every 250 steps)
  timeout $(python3 -c "print(int($minutes * 60 + 120))") python3 -m sampling.cli train --dataset emoji-faces \
      --size 32 --batch-size 16 --lr 0.0005 --seed 0 --steps 1000000 --device "$device" --max-minutes "$minutes" \
      --out "$run" || echo "training ended with status $?"
  for f in config.json diffusion_pytorch_model.safetensors scheduler_config.json training.json loss.csv; do
    cp "$run/$f" "$got/"
  done
  timeout $((60 * slow)) python3 -m sampling.cli sample --model "$run" --n 16 --steps 50 --seed 0 \
      --device "$device" --out "$got/samples.png" || echo "sampling ended with status $?"
  timeout $((180 * slow)) python3 benchmarks/embedded_quality.py --model "$run" --device "$device" \
      --json "$got/quality.json" || echo "embedded_quality.py ended with status $?"
fi
