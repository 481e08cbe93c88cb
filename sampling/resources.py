"""What a UNet2DModel's config.json asks of the machine, estimated from the config alone, before anything
is allocated: a model folder from elsewhere may ask for a 100,000-pixel image side or thousands of
channels, and diffviz says so in one line instead of dying in the allocator or being killed for memory.

The estimate, for diffusers' UNet2DModel (levels of `block_out_channels` c_l at resolution r_l = side / 2^l,
`layers_per_block` L, self-attention where a block type says Attn):

  weights       the parameters of its convolutions and attention projections: per level, L ResNet blocks
                down (two 3x3 convolutions each) and L + 1 up (their input widened by the skip connection),
                4 c^2 per attention layer, a 3x3 resampling convolution; the middle block; times the dtype's size
  one image     the activations an inference holds at its peak, in float32: the skip connections the down
                path keeps for the up path ((L + 1) c_l r_l^2 per level), four of the widest feature maps being
                worked on, and the attention scores of the largest attention level (heads x (r^2)^2); times
                MARGIN, 3: peaks measured on the CPU (torch 2.13, the growth of the process's largest resident
                size over a second forward pass) were 0.4 to 2.9 times the count (3.6 MB an image for the
                embedded model at batch 64, 497 MB for google's 256x256 architecture at batch 2)

tests/test_resources.py compares the weights' figure with the parameters diffusers builds for several
configs (within 15 %) and checks that an absurd config is refused before any allocation.
"""
from __future__ import annotations

import os

GIB = 1024 ** 3
MARGIN = 3  # the measured peaks' largest ratio to the activations counted


def _side(size) -> int:
    return int(max(size)) if isinstance(size, (list, tuple)) else int(size)


def unet_bytes(config: dict, dtype_bytes: int = 4) -> tuple[int, int]:
    """(weights, activations of one image at inference) in bytes, estimated from a UNet2DModel config.
    Raises ValueError (TypeError, KeyError) for a config without the fields, or with fields of another form."""
    channels = [int(c) for c in config["block_out_channels"]]
    layers = int(config.get("layers_per_block", 2))
    side = _side(config["sample_size"])
    c_in = int(config.get("in_channels", 3))
    down = list(config.get("down_block_types") or ["DownBlock2D"] * len(channels))
    attends = ["Attn" in kind for kind in down]  # per level: self-attention there, down and up alike
    head_dim = config.get("attention_head_dim") or 8
    if not channels or layers < 0 or side <= 0 or len(down) != len(channels):
        raise ValueError("block_out_channels, layers_per_block, sample_size and down_block_types do not agree")
    temb = 4 * channels[0]
    params = c_in * channels[0] * 9 + channels[0] * temb + temb * temb  # conv_in, time embedding
    resnet = lambda a, b: 9 * a * b + 9 * b * b + temb * b + (a * b if a != b else 0)  # noqa: E731
    previous = channels[0]
    for level, c in enumerate(channels):
        params += resnet(previous, c) + (layers - 1) * resnet(c, c) + layers * 4 * c * c * attends[level]
        params += 9 * c * c * (level < len(channels) - 1)  # downsample
        previous = c
    params += 2 * resnet(channels[-1], channels[-1]) + 4 * channels[-1] ** 2  # the middle block
    for level, c in enumerate(channels):  # the up path, the same levels, each ResNet's input widened by a skip
        params += (layers + 1) * (resnet(2 * c, c) + 4 * c * c * attends[level]) + 9 * c * c * (level > 0)
    params += channels[0] * c_in * 9  # conv_out
    maps = [c * (side >> level) ** 2 for level, c in enumerate(channels)]
    scores = [max(1, c // int(head_dim)) * (side >> level) ** 4
              for level, c in enumerate(channels) if attends[level]]
    one_image = MARGIN * 4 * ((layers + 1) * sum(maps) + 4 * max(maps) + max(scores, default=0))
    return params * dtype_bytes, one_image


def free_memory(device: str) -> int:
    """Bytes this process can still take: the GPU's free memory, or the CPU's available memory."""
    if device == "cuda":
        import torch
        return int(torch.cuda.mem_get_info()[0])
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_fits(name: str, config: dict, device: str, dtype_bytes: int) -> int:
    """Refuse, in one line naming the setting, a model that cannot run here even one image at a time; else
    return how many images at a time fit in half the free memory (at least 1)."""
    try:
        weights, one_image = unet_bytes(config, dtype_bytes)
    except (ValueError, TypeError, KeyError, IndexError):
        return 1  # malformed: loading it says what is wrong
    free = free_memory(device)
    if weights + one_image > free:
        if one_image >= weights:
            setting = f"sample_size {config['sample_size']} (the image side)"
            what = f"one image needs about {one_image / GIB:,.1f} GiB of activations"
        else:
            setting = (f"block_out_channels {list(config['block_out_channels'])} with layers_per_block "
                       f"{config.get('layers_per_block', 2)}")
            what = f"its weights need about {weights / GIB:,.1f} GiB"
        where = "the GPU has" if device == "cuda" else "this machine has"
        raise MemoryError(f"{name}: its config.json asks for {setting}: {what}, and {where} "
                          f"{free / GIB:,.1f} GiB free; use a model made for this machine")
    return max(1, int((free // 2 - weights) // one_image))
