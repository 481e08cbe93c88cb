"""Every reader of a file from outside, fed mutated versions of a valid file (hypothesis): the settings TOML,
a model's config.json, scheduler_config.json and safetensors weights, a cache entry's manifest and arrays
(re-signed, as someone forging an entry would), and image files. Each either loads or stops with diffviz's
own one-line error; any other exception is a finding. Derandomized and bounded, so that every run tries
the same cases in well under a minute."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cache import store
from cache.config import ConfigError, load_settings
from cache.datasets import DatasetError, open_image
from cache.model_files import ModelError

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 63, 2 ** 63), st.floats(allow_nan=True),
                      st.text(max_size=8), st.lists(st.integers(-5, 300), max_size=4), st.dictionaries(
                          st.text(max_size=4), st.integers(), max_size=2))


@st.composite
def mutated(draw, data: bytes, within: int | None = None) -> bytes:
    """`data` cut short, with a byte changed, bytes put in, or a run of bytes overwritten, at a place among
    its first `within` bytes (all of them by default)."""
    i = draw(st.integers(0, min(within or len(data), len(data)) - 1))
    kind = draw(st.sampled_from(["cut", "flip", "insert", "overwrite"]))
    if kind == "cut":
        return data[:i]
    if kind == "flip":
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    noise = draw(st.binary(min_size=1, max_size=16))
    return data[:i] + noise + data[i + len(noise) * (kind == "overwrite"):]


@st.composite
def json_mutated(draw, text: str) -> bytes:
    """A JSON object with one key's value replaced by a value of any type, or a key added; else its bytes
    mutated."""
    if draw(st.booleans()):
        return draw(mutated(text.encode()))
    obj = json.loads(text)
    key = draw(st.sampled_from(sorted(obj)) | st.text(min_size=1, max_size=6))
    obj[key] = draw(ANY_VALUE)
    return json.dumps(obj).encode()


def test_settings_files(tmp_path):
    valid = (Path(__file__).resolve().parents[1] / "diffviz.toml").read_bytes()
    file = tmp_path / "s.toml"

    @FUZZ
    @given(mutated(valid))
    def reads(data):
        file.write_bytes(data)
        try:
            load_settings(file)
        except ConfigError as err:
            assert "\n" not in str(err)
    reads()


@pytest.mark.parametrize("name", ["config.json", "scheduler_config.json", "diffusion_pytorch_model.safetensors"])
def test_model_files(tmp_path, tiny_model, name):
    from sampling.loading import load_model
    folder = Path(shutil.copytree(tiny_model, tmp_path / "m"))
    valid = (folder / name).read_bytes()
    # the weights: their header (8 bytes of length, then JSON naming each tensor's place), where a reader trusts
    strategy = mutated(valid, within=400) if name.endswith(".safetensors") else json_mutated(valid.decode())

    @FUZZ
    @given(strategy)
    def loads(data):
        (folder / name).write_bytes(data)
        try:
            load_model(str(folder), device="cpu")
        except ModelError as err:
            assert "\n" not in str(err)
    loads()


def _signed(folder: Path, manifest: dict) -> None:
    """The manifest with the arrays' checksum and its own, as diffviz's writer makes them (whatever its
    other values)."""
    manifest["arrays_sha256"] = hashlib.sha256((folder / store.ARRAYS).read_bytes()).hexdigest()
    manifest["manifest_sha256"] = store._manifest_sha256(manifest)
    (folder / store.MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("part", ["manifest", "arrays"])
def test_cache_entries(tmp_path, part):
    arrays = {"x": np.arange(24, dtype=np.float32).reshape(2, 3, 4), "t": np.array([980, 960])}
    entry = store.write("ab" * 32, arrays, {"spec": {"experiment": "reverse"}}, root=tmp_path)
    valid_manifest, valid_arrays = (entry.path / store.MANIFEST).read_text(), (entry.path / store.ARRAYS).read_bytes()

    @FUZZ
    @given(json_mutated(valid_manifest) if part == "manifest" else mutated(valid_arrays))
    def reads(data):
        if part == "manifest":  # as it is, and forged: re-signed where it is still a JSON object
            (entry.path / store.MANIFEST).write_bytes(data)
            try:
                store.read_entry(entry.path).load()
            except store.CacheError as err:
                assert "\n" not in str(err)
            try:
                forged = json.loads(data)
            except ValueError:
                return
            if not isinstance(forged, dict):
                return
            _signed(entry.path, forged)
        else:  # forged: the mutated arrays under a manifest re-signed for them
            (entry.path / store.ARRAYS).write_bytes(data)
            _signed(entry.path, json.loads(valid_manifest))
        try:
            store.read_entry(entry.path).load()
        except store.CacheError as err:
            assert "\n" not in str(err)
    reads()


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_image_files(tmp_path, suffix):
    from PIL import Image
    file = tmp_path / f"x0{suffix}"
    Image.fromarray((np.random.default_rng(0).random((24, 24, 3)) * 255).astype(np.uint8)).save(file)
    valid = file.read_bytes()

    @FUZZ
    @given(mutated(valid))
    def opens(data):
        file.write_bytes(data)
        try:
            open_image(file, "replace it")
        except DatasetError as err:
            assert "\n" not in str(err)
    opens()
