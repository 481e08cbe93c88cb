"""The text alternative of each video (WCAG 1.2.1): per scene a WebVTT chapters track and a descriptions
track, one cue per slide break, from that break to the next and the last to the video's end, written by
plain renders and slide renders alike; read here with webvtt-py, an independent parser. The cue times are
checked against the video's own slide boundaries (the frames of manim-slides' cut of the same scene), the
numbers in the descriptions against the model's scheduler, and deck.html against the tracks."""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import webvtt

from tests.conftest import render_env
from tools import captions

ROOT = Path(__file__).resolve().parents[1]
SCENE = "ForwardProcess"
TRACKS = ("chapters", "descriptions")




def ms(timestamp) -> int:
    return timestamp.in_milliseconds()


def cues(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text on one line) of each cue, as webvtt-py reads the file."""
    return [(ms(c.start_time), ms(c.end_time), html.unescape(" ".join(c.text.split()))) for c in webvtt.read(path)]


def frames(video: Path) -> int:
    import av
    with av.open(str(video)) as movie:
        return sum(1 for _ in movie.decode(video=0))


# --- the tool, on a record made here

def record(*times: float, duration: float = 70.0) -> dict:
    return {"scene": "Demo", "duration": duration, "frame_rate": 15,
            "slides": [{"time": t, "title": f"Part {n}", "description": f"Frame {n}: a < b & c, t = {t}",
                        "notes": "for the speaker", "loop": False} for n, t in enumerate(times)]}


def test_each_cue_runs_from_its_slide_break_to_the_next_and_the_last_to_the_end(tmp_path):
    tmp_path = tmp_path / "tracks"  # a folder of its own: the test's folder holds the settings file too
    tmp_path.mkdir()
    source = tmp_path / "Demo.slides.json"
    source.write_text(json.dumps(record(0.0, 2 + 1 / 15, 65.2)))
    captions.write_tracks(source, tmp_path)
    chapters, descriptions = (cues(tmp_path / f"Demo.{track}.vtt") for track in TRACKS)
    assert [(a, b) for a, b, _ in chapters] == [(0, 2067), (2067, 65200), (65200, 70000)]
    assert [(a, b) for a, b, _ in descriptions] == [(a, b) for a, b, _ in chapters]
    assert [text for *_, text in chapters] == ["Part 0", "Part 1", "Part 2"]
    assert descriptions[1][2] == f"Frame 1: a < b & c, t = {2 + 1 / 15}"  # escaped in the file, read back whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Demo.chapters.vtt", "Demo.descriptions.vtt",
                                                          "Demo.slides.json"]  # nothing left aside


def test_timestamps_are_hours_minutes_seconds_and_milliseconds():
    assert captions.timestamp(0) == "00:00:00.000"
    assert captions.timestamp(3725.0456) == "01:02:05.046"


def test_a_slide_that_lasts_no_time_is_refused_with_the_scene_named():
    with pytest.raises(ValueError, match=r"Demo: the slide 'Part 1' at 3\.000 s lasts no time"):
        captions.cues(record(0.0, 3.0, 3.0), "title")
    with pytest.raises(ValueError, match="lasts no time"):
        captions.cues(record(0.0, 3.0, duration=3.0), "description")


def test_a_render_without_both_tracks_is_done_again(tmp_path):
    """tools/stamp.py, as render.sh asks it: a scene whose stamp is current and whose outputs are all there
    is up to date (exit 0); without either WebVTT track it is not (exit 1), and render.sh renders it again."""
    def up_to_date() -> bool:
        done = subprocess.run([sys.executable, str(ROOT / "tools" / "stamp.py"), str(tmp_path), "forward:" + SCENE],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr
        (tmp_path / f"{SCENE}.stamp").write_text(done.stdout)  # as render.sh writes it after a render
        return done.returncode == 0

    outputs = [tmp_path / f"{SCENE}.{suffix}" for suffix in ("mp4", "png", "gif", "chapters.vtt", "descriptions.vtt")]
    assert not up_to_date()  # no stamp yet
    for track in outputs[-2:]:
        for output in outputs:
            output.write_text("made")
        assert up_to_date()
        track.unlink()
        assert not up_to_date(), f"{track.name} is missing, yet the scene counts as up to date"


# --- a scene rendered by ./render.sh: plainly, then as slides from manim's cache of the plain render's plays

def render(env: dict, out: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(ROOT / "render.sh"), "--quality", "l", "--out", str(out), *args, SCENE], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("captions")
    env = render_env(folder)
    plain, slides = folder / "plain", folder / "slides"
    render(env, plain)
    partial = {p.name for p in (folder / "media" / "videos" / "forward").rglob("*.mp4")}
    render(env, slides, "--slides")
    # the slide render made fewer partial movies than the plain one: its other plays came from manim's
    # cache, where the renderer's own clock counts their nominal run time, not the frames
    new = {p.name for p in (folder / "media" / "videos" / "forward").rglob("*.mp4")} - partial
    assert len(new) < len(partial) - 5
    return plain, slides


def slide_boundaries(slides: Path) -> tuple[list[int], int]:
    """The start of each slide of the manim-slides cut, in ms, from the frames of its videos; and the end."""
    deck = json.loads((slides / "slides" / f"{SCENE}.json").read_text())
    counts = [frames(slides / "slides" / "files" / SCENE / Path(s["file"]).name) for s in deck["slides"]]
    bounds = np.concatenate([[0], np.cumsum(counts)]) / 15 * 1000
    return [round(b) for b in bounds[:-1]], round(bounds[-1])


@pytest.mark.slow
def test_both_renders_write_one_cue_with_text_per_slide_break(rendered):
    plain, slides = rendered
    breaks = len(json.loads((slides / "slides" / f"{SCENE}.json").read_text())["slides"])
    for out in (plain, slides):
        chapters, descriptions = (cues(out / f"{SCENE}.{track}.vtt") for track in TRACKS)
        assert len(chapters) == len(descriptions) == breaks
        assert all(text for *_, text in chapters + descriptions)
        assert [c[:2] for c in chapters] == [d[:2] for d in descriptions]
        assert len({text for *_, text in descriptions}) == breaks, "two slides share a description"
    assert cues(plain / f"{SCENE}.descriptions.vtt") == cues(slides / f"{SCENE}.descriptions.vtt")


@pytest.mark.slow
def test_cues_start_at_the_slide_boundaries_and_the_last_ends_with_the_video(rendered):
    plain, slides = rendered
    starts, end = slide_boundaries(slides)
    video_end = round(frames(plain / f"{SCENE}.mp4") / 15 * 1000)
    assert end == video_end
    for out in (plain, slides):
        chapters = cues(out / f"{SCENE}.chapters.vtt")
        assert [a for a, _, _ in chapters] == pytest.approx(starts, abs=1)
        assert [b for _, b, _ in chapters] == pytest.approx(starts[1:] + [video_end], abs=1)


@pytest.mark.slow
def test_descriptions_carry_the_schedules_numbers(rendered):
    """sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) where ForwardProcess stops, as diffusers computes them."""
    from diffusers import DDPMScheduler

    from cache.model_files import EMBEDDED_DIR
    plain, _ = rendered
    alpha_bar = DDPMScheduler.from_pretrained(EMBEDDED_DIR).alphas_cumprod.double().numpy()
    text = "\n".join(t for *_, t in cues(plain / f"{SCENE}.descriptions.vtt"))
    first = re.search(r"x_t at t = (\d+) equals the clean image x_0 times (\d\.\d{4}), plus the noise eps, "
                      r"[^,]*, times (\d\.\d{4})", text)
    stops = re.findall(r"t runs from \d+ to (\d+): x_t grows noisier, its coefficients become (\d\.\d{4}) for x_0 "
                       r"and (\d\.\d{4}) for eps", text)
    assert first and len(stops) == 3
    for t, signal, noise in [first.groups(), *stops]:
        assert float(signal) == pytest.approx(np.sqrt(alpha_bar[int(t)]), abs=6e-5)
        assert float(noise) == pytest.approx(np.sqrt(1 - alpha_bar[int(t)]), abs=6e-5)


@pytest.mark.slow
def test_each_slide_of_the_deck_carries_its_title_and_description(rendered):
    from bs4 import BeautifulSoup
    _, slides = rendered
    page = BeautifulSoup((slides / "deck.html").read_text(), "html.parser")
    sections = page.find_all("section", attrs={"data-background-video": True})
    shown = [(s.find(class_="diffviz-description").h2.get_text(), s.find(class_="diffviz-description").p.get_text())
             for s in sections]
    chapters, descriptions = (cues(slides / f"{SCENE}.{track}.vtt") for track in TRACKS)
    assert shown == [(c[2], d[2]) for c, d in zip(chapters, descriptions, strict=False)]
    assert ".diffviz-description{position:absolute;width:1px" in (slides / "deck.html").read_text()
