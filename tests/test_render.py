"""./render.sh end to end, at 480p15 with small settings: every scene's video, still and GIF; the slide
decks (the HTML deck plays every scene's slides, the PPTX has one slide per slide break, the speaker
notes carry the schedule's numbers); a second run renders only what changed."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import RENDER_SETTINGS, render_env

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # render.sh renders every scene


def scenes() -> list[tuple[str, str]]:
    listed = subprocess.run([str(ROOT / "render.sh"), "--list"], capture_output=True, text=True, check=True)
    return [tuple(line.split(":")) for line in listed.stdout.split()]


def render(env: dict, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "render.sh"), "--quality", "l", "--out", str(out), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    env = render_env(folder)
    out = folder / "out"
    run = render(env, out, "--slides")
    assert run.returncode == 0, run.stdout + run.stderr
    return out, env, run


def slide_notes(module: str, cls: str, env: dict) -> list[str]:
    """The speaker notes of a scene's slide breaks, from a plain (not manim-slides) dry run."""
    code = f"""
import json, sys
from manim import tempconfig
from scenes import {module} as m
with tempconfig({{"dry_run": True, "pixel_height": 72, "pixel_width": 128, "frame_rate": 2,
                 "verbosity": "ERROR", "progress_bar": "none", "disable_caching": True}}):
    scene = m.{cls}()
    scene.render()
print(json.dumps(scene.slide_notes))
"""
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_scene_has_an_h264_video_a_still_and_a_looping_gif(rendered):
    import av
    from PIL import Image
    out, _, run = rendered
    for _, cls in scenes():
        with av.open(str(out / f"{cls}.mp4")) as video:
            stream = video.streams.video[0]
            assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
            assert (stream.width, stream.height, int(stream.average_rate)) == (854, 480, 15)
            *_, last = (frame.to_ndarray(format="rgb24") for frame in video.decode(video=0))
        still = np.asarray(Image.open(out / f"{cls}.png").convert("RGB"))
        assert still.shape == last.shape
        assert np.abs(still.astype(int) - last).mean() < 4, f"{cls}.png is not the video's last frame"
        gif = Image.open(out / f"{cls}.gif")
        assert gif.info.get("loop") == 0 and gif.n_frames >= 20 and gif.width == 480
        assert f"{cls}.mp4" in run.stdout and f"{cls}.gif" in run.stdout


def test_html_deck_plays_every_slide_of_every_scene(rendered):
    from bs4 import BeautifulSoup
    out, _, _ = rendered
    html = BeautifulSoup((out / "deck.html").read_text(), "html.parser")
    sections = html.find_all("section", attrs={"data-background-video": True})
    videos = [s["data-background-video"] for s in sections]
    for src in videos:
        assert (out / src).is_file(), f"deck.html plays {src}, which is not there"
    digits = len(str(len(scenes()) - 1))  # manim-slides names scene i's files s<i>_<name>
    for i, (_, cls) in enumerate(scenes()):
        slides = json.loads((out / "slides" / f"{cls}.json").read_text())["slides"]
        for slide in slides:
            name = f"s{i:0{digits}d}_{Path(slide['file']).name}"
            assert f"deck_assets/{name}" in videos, f"slide {slide['file']} of {cls} is not in deck.html"
    assert len(videos) == sum(len(json.loads(p.read_text())["slides"]) for p in (out / "slides").glob("*.json"))


def test_every_scene_has_chapters_and_descriptions_cut_at_its_slides(rendered):
    """One cue with text per slide of manim-slides' cut of the video, starting where that slide's video
    starts; the last ends with the video."""
    from tests.test_captions import cues, frames
    out, _, run = rendered
    for _, cls in scenes():
        slides = json.loads((out / "slides" / f"{cls}.json").read_text())["slides"]
        lengths = [frames(out / "slides" / "files" / cls / Path(slide["file"]).name) for slide in slides]
        bounds = list(np.concatenate([[0], np.cumsum(lengths)]) / 15 * 1000)
        for track in ("chapters", "descriptions"):
            found = cues(out / f"{cls}.{track}.vtt")
            assert [a for a, _, _ in found] == pytest.approx(bounds[:-1], abs=1), f"{cls}.{track}.vtt"
            assert [b for _, b, _ in found] == pytest.approx(bounds[1:], abs=1), f"{cls}.{track}.vtt"
            assert all(text for *_, text in found)
            assert f"{cls}.{track}.vtt" in run.stdout
        # long enough to be seen and for its description to be read: 2 s at least (to a frame, 1/15 s)
        short = [(slide["file"], f"{n / 15:.2f} s") for slide, n in zip(slides, lengths, strict=True) if n < 29]
        assert not short, f"{cls}: slides shorter than 2 s: {short}"


def test_pptx_has_one_slide_per_slide_break_with_its_notes(rendered):
    from pptx import Presentation
    out, env, _ = rendered
    deck = Presentation(str(out / "deck.pptx"))
    expected = [note for module, cls in scenes() for note in slide_notes(module, cls, env)]
    shown = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert shown == expected


def test_speaker_notes_carry_the_schedules_numbers(rendered):
    """The numbers in the notes are the closed-form ones of the model's scheduler, not just the scene's own."""
    from diffusers import DDPMScheduler
    from pptx import Presentation

    from cache.model_files import EMBEDDED_DIR
    out, _, _ = rendered
    alpha_bar = DDPMScheduler.from_pretrained(EMBEDDED_DIR).alphas_cumprod.double().numpy()
    notes = [s.notes_slide.notes_text_frame.text for s in Presentation(str(out / "deck.pptx")).slides]
    forward = [m for n in notes for m in re.finditer(r"t = (\d+): sqrt\(alpha_bar_t\) = (\d+\.\d+), "
                                                     r"sqrt\(1 - alpha_bar_t\) = (\d+\.\d+)", n)]
    assert len(forward) >= 3
    for m in forward:
        t = int(m[1])
        assert float(m[2]) == pytest.approx(np.sqrt(alpha_bar[t]), abs=6e-5)
        assert float(m[3]) == pytest.approx(np.sqrt(1 - alpha_bar[t]), abs=6e-5)
    step = (r"t = (\d+) -> (\d+): 1/sqrt\(alpha_t\) = (\d+\.\d+), "
            r"beta_t/sqrt\(1 - alpha_bar_t\) = (\d+\.\d+), sigma_t = (\d+\.\d+)")
    ddpm = [m for n in notes for m in re.finditer(step, n)]
    assert len(ddpm) >= 3
    for m in ddpm:
        t, prev = int(m[1]), int(m[2])
        alpha = alpha_bar[t] / alpha_bar[prev]  # DDPM with skipped steps: beta_t = 1 - alpha_bar_t / alpha_bar_prev
        beta = 1 - alpha
        assert float(m[3]) == pytest.approx(1 / np.sqrt(alpha), abs=6e-5)
        assert float(m[4]) == pytest.approx(beta / np.sqrt(1 - alpha_bar[t]), abs=6e-5)
        assert float(m[5]) == pytest.approx(np.sqrt((1 - alpha_bar[prev]) / (1 - alpha_bar[t]) * beta), abs=6e-5)


def test_second_run_renders_only_what_changed(rendered):
    out, env, _ = rendered
    before = {cls: (out / f"{cls}.mp4").stat().st_mtime_ns for _, cls in scenes()}
    again = render(env, out, "--slides")
    assert again.returncode == 0, again.stdout + again.stderr
    for _, cls in scenes():
        assert f"same    {cls}" in again.stdout
        assert (out / f"{cls}.mp4").stat().st_mtime_ns == before[cls]
    # a setting that only DdimStepCounts reads: only it is rendered again
    Path(env["DIFFVIZ_CONFIG"]).write_text(RENDER_SETTINGS.replace("[5, 20]", "[4, 20]"))
    changed = render(env, out, "DdimStepCounts", "ForwardProcess")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "ok      DdimStepCounts" in changed.stdout and "same    ForwardProcess" in changed.stdout
    assert (out / "DdimStepCounts.mp4").stat().st_mtime_ns != before["DdimStepCounts"]
    assert not (out / "slides" / "DdimStepCounts.json").exists(), "slides of an older render are left behind"


def small_file_system(folder: Path, options: str) -> None:
    """A tmpfs mounted on `folder` (tmpfs `options`, e.g. size=200k or ro); the test is skipped, saying why,
    where this machine lets no one mount (not root, or a container without the right)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode:
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.strip() or mounted.returncode}")


@pytest.fixture
def mounts():
    made = []
    yield lambda folder, options: (small_file_system(folder, options), made.append(folder))
    for folder in made:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_full_disk_under_out_keeps_nothing_half_written(rendered, tmp_path, mounts):
    """--out on a file system too small for a scene's outputs (a 200 KB tmpfs): the scene fails with a line
    naming the full disk and the fix, exit 1, no traceback, and none of its files is left, whole or half."""
    _, env, _ = rendered
    mounts(tmp_path / "small", "size=200k")
    done = render(env, tmp_path / "small", "ForwardProcess")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert (f"FAILED  ForwardProcess: the disk under {tmp_path / 'small'} is full, nothing of it was kept; free "
            "some space and render again") in done.stdout.splitlines()
    assert sorted(p.name for p in (tmp_path / "small").rglob("*")) == []


def test_a_read_only_out_is_refused_before_any_work(rendered, tmp_path, mounts):
    _, env, _ = rendered
    mounts(tmp_path / "ro", "ro,size=1m")
    done = render(env, tmp_path / "ro" / "out", "ForwardProcess")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"render.sh: --out {tmp_path / 'ro' / 'out'}: cannot write in "
                                                f"{tmp_path / 'ro'}; choose a folder you can write in"]


def test_a_full_disk_leaves_no_half_deck(rendered, tmp_path, mounts):
    """tools/deck.py (render.sh --slides) into a file system with room for the slides' videos and little more:
    the PowerPoint deck cannot be written, the tool exits 1, and neither deck.html nor deck.pptx is left."""
    import shutil
    out, env, _ = rendered
    pages = sum(-(-f.stat().st_size // 4096) for f in (out / "slides").rglob("*") if f.is_file())
    mounts(tmp_path / "small", f"size={4 * pages + 256}k")
    shutil.copytree(out / "slides", tmp_path / "small" / "slides")
    scenes = sorted(p.stem for p in (out / "slides").glob("*.json"))
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "deck.py"), str(tmp_path / "small"), *scenes],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    small = re.escape(str(tmp_path / "small"))
    assert re.fullmatch(rf"deck: deck\.(html|pptx) was not written: the disk under {small} is full; free some "
                        r"space and render again", done.stderr.strip().splitlines()[-1])
    assert not (tmp_path / "small" / "deck.html").exists() and not (tmp_path / "small" / "deck.pptx").exists()
