#!/usr/bin/env bash
# The GPU check, prepared for one call on a lent H100/H200 (not run by ./test.sh or CI).
# That machine has torch but not diffusers: carry the wheels (see the device tool's notes), e.g.
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl \
#       diffusers huggingface_hub safetensors click hf-xet filelock fsspec tqdm pyyaml requests regex importlib_metadata zipp
# then run:  bash benchmarks/gpu_check.sh   (with carry: [".whl"]); it ends well inside 8 minutes.
set -euo pipefail
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
# 1. parity: the samplers on CUDA float32 against diffusers' schedulers on CUDA, and CUDA against CPU
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
# 2. the benchmark on the GPU, float32 and bfloat16
timeout 240 python3 benchmarks/sampling.py --device cuda --dtype float32 --google-steps 50
timeout 120 python3 benchmarks/sampling.py --device cuda --dtype bfloat16 --google-steps 50 | tail -4
