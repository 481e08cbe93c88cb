"""Training images: a folder of pictures, or the built-in emoji-faces recipe.

Images come out as float32 arrays (N, 3, H, W) in [-1, 1], the layout the UNet trains on.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .errors import DiffvizError

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
# Where that file is elsewhere (a machine without the Debian package, e.g. a lent GPU that is sent
# a copy of the font with the working tree): DIFFVIZ_EMOJI_FONT=path/NotoColorEmoji.ttf
EMOJI_FONT_VARIABLE = "DIFFVIZ_EMOJI_FONT"
EMOJI_FONT_PACKAGE = "fonts-noto-color-emoji"
# Noto Color Emoji is a bitmap font: its glyphs exist at this size only.
EMOJI_FONT_SIZE = 109

# The yellow round faces (cat faces included) of Unicode's emoticon blocks: a homogeneous
# set, like CelebA-HQ is for people. Hands, people, clothes and non-yellow faces are left out.
EMOJI_FACES = (
    [c for c in range(0x1F600, 0x1F645) if c != 0x1F608]
    + [c for c in range(0x1F910, 0x1F930) if c not in (0x1F916, *range(0x1F918, 0x1F920), 0x1F921, 0x1F926)]
    + [c for c in range(0x1F970, 0x1F97B) if c not in (0x1F976, 0x1F977)]
    + [0x1F9D0, 0x263A, 0x2639, 0x1FAE0, 0x1FAE1, 0x1FAE2, 0x1FAE3, 0x1FAE4, 0x1FAE8]
)

DATASETS = ("emoji-faces",)


def to_model_range(pixels: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-1, 1]."""
    return (pixels.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()


def _square(image: Image.Image, size: int) -> Image.Image:
    """Pad to a square on white, then resize with an antialiasing filter."""
    side = max(image.size)
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return canvas.resize((size, size), Image.LANCZOS)


def emoji_font() -> Path:
    """The Noto Color Emoji file: $DIFFVIZ_EMOJI_FONT where set, else the Debian package's."""
    return Path(os.environ.get(EMOJI_FONT_VARIABLE) or EMOJI_FONT)


def render_emoji(codepoint: int, size: int) -> Image.Image:
    """One emoji glyph on white, cropped to its ink and resized to size x size."""
    font = ImageFont.truetype(str(emoji_font()), EMOJI_FONT_SIZE)
    glyph = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(glyph).text((10, 10), chr(codepoint), font=font, embedded_color=True)
    box = glyph.getbbox()
    if box is None:
        raise ValueError(f"the emoji font has no glyph for U+{codepoint:04X}")
    white = Image.new("RGBA", glyph.size, (255, 255, 255, 255))
    white.alpha_composite(glyph)
    return _square(white.crop(box).convert("RGB"), size)


def emoji_faces(size: int) -> np.ndarray:
    """The emoji-faces recipe, rendered from the font now (never stored as images)."""
    font = emoji_font()
    if not font.exists():
        where = f" (${EMOJI_FONT_VARIABLE})" if os.environ.get(EMOJI_FONT_VARIABLE) else ""
        raise DatasetError(
            f"{font}{where} is missing: install it with `apt-get install {EMOJI_FONT_PACKAGE}`, "
            f"or set {EMOJI_FONT_VARIABLE} to a copy of NotoColorEmoji.ttf"
        )
    return to_model_range(np.stack([np.asarray(render_emoji(c, size)) for c in EMOJI_FACES]))


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
FOLDER_FIX = f"give a folder of images ({', '.join(sorted(IMAGE_SUFFIXES))}) or emoji-faces"


class DatasetError(DiffvizError, ValueError):
    """Training images that cannot be had; the message names the file or folder and the fix."""


def open_image(path: Path, fix: str) -> Image.Image:
    """An image file decoded whole (a truncated file fails here, not later), as RGB."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except Exception as err:  # Pillow's: UnidentifiedImageError, OSError (truncated), DecompressionBombError
        raise DatasetError(f"{path} is not an image Pillow can read ({err}); {fix}") from None


def image_files(folder: Path) -> list[Path]:
    """The images of a folder, by name; DatasetError where there are none."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DatasetError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); {FOLDER_FIX}")
    return files


def image_folder(folder: Path, size: int) -> np.ndarray:
    """Every image in a folder, converted to RGB, padded to a square and resized."""
    fix = f"remove it from {folder} or replace it"
    return to_model_range(np.stack([np.asarray(_square(open_image(p, fix), size)) for p in image_files(folder)]))


def load_dataset(source: str, size: int) -> np.ndarray:
    """A built-in recipe by name, or a folder of images."""
    if source == "emoji-faces":
        return emoji_faces(size)
    if Path(source).is_dir():
        return image_folder(Path(source), size)
    what = "a file, not a folder" if Path(source).exists() else "neither a built-in dataset nor a folder"
    raise DatasetError(f"{source!r} is {what}; {FOLDER_FIX}")
