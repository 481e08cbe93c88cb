"""The exact denoiser against independent truths: Monte-Carlo posterior means, the analytic forward
marginal of a mixture, where DDIM lands, and the training images of a folder."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cache.config import Settings
from cache.mixtures import MIXTURES
from cache.model_files import ModelError, locate_exact, locate_local
from cache.specs import SpecError, specs_for
from sampling.build import build
from sampling.loading import load_model
from sampling.recorders import run

# the embedded model's schedule, written out: linear betas, 1000 steps
ALPHA_BAR = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000, dtype=np.float64))


def recorded_toy(settings: Settings) -> dict[str, np.ndarray]:
    """The toy recording of a mixture, from the cache or recorded now."""
    return build(["toy"], settings)[0].load()


def sample_mixture(mix, n, rng):
    k = rng.choice(len(mix.weights), size=n, p=mix.weights)
    return mix.means[k] + mix.stds[k, None] * rng.standard_normal((n, mix.dim)), k


def monte_carlo_x0_mean(mix, z, a, rng, n=400_000):
    """E[x_0 | x_t = z] by self-normalised importance sampling: x_0 from the data, weighted by the
    forward kernel N(z; sqrt(a) x_0, (1 - a) I); no component posteriors involved."""
    x0, _ = sample_mixture(mix, n, rng)
    log_w = -((z - np.sqrt(a) * x0) ** 2).sum(1) / (2 * (1 - a))
    w = np.exp(log_w - log_w.max())
    return (w[:, None] * x0).sum(0) / w.sum()


@pytest.mark.parametrize("name", ["mixture:1d", "mixture:smiley"])
def test_exact_denoiser_matches_monte_carlo_posterior_mean(name):
    model = load_model(name)
    mix = MIXTURES[name.split(":")[1]]()
    rng = np.random.default_rng(1)
    for t in (50, 250, 500, 900):
        a = ALPHA_BAR[t]
        for z in rng.standard_normal((3, mix.dim)) * 0.8:
            expected = monte_carlo_x0_mean(mix, z, a, rng)
            x = torch.tensor(z, dtype=torch.float32).view(1, mix.dim, 1, 1)
            x0_mean, _ = model.posterior(x, torch.tensor([t]))
            assert np.allclose(x0_mean.numpy()[0], expected, atol=0.02), (t, z)
            # and eps_hat is that mean put through x_t = sqrt(a) x_0 + sqrt(1 - a) eps
            eps_hat = model(x, torch.tensor([t])).numpy().ravel()
            assert np.allclose(eps_hat, (z - np.sqrt(a) * expected) / np.sqrt(1 - a),
                               atol=0.02 * np.sqrt(a / (1 - a)) + 1e-3)


def test_forward_marginal_matches_the_analytic_mixture_per_component():
    tr = recorded_toy(Settings(model="mixture:1d"))
    mix = MIXTURES["1d"]()
    component, forward = tr["component"], tr["forward"][..., 0]
    for f in (20, 100, 200):
        a = ALPHA_BAR[tr["forward_t"][f]]
        for k in range(len(mix.weights)):
            x = forward[f, component == k].astype(np.float64)
            mean, var = np.sqrt(a) * mix.means[k, 0], a * mix.stds[k] ** 2 + 1 - a
            assert abs(x.mean() - mean) < 4 * np.sqrt(var / len(x))
            assert abs(x.var() / var - 1) < 4 * np.sqrt(2 / len(x)) + 0.02
    # the recorded density of x_t is the one the chain's points follow (a histogram of all 400)
    f = 60
    hist, edges = np.histogram(forward[f], bins=12, range=(-2.4, 2.4))
    z = tr["grid"][:, 0]
    expected = [np.trapezoid(tr["density"][f][(z >= lo) & (z <= hi)], z[(z >= lo) & (z <= hi)]) * len(forward[f])
                for lo, hi in zip(edges, edges[1:], strict=False)]
    assert np.abs(hist - expected).max() < 4 * np.sqrt(max(expected)) + 3


@pytest.mark.slow
def test_ddim_with_many_steps_lands_within_the_modes():
    """DDIM at 1000 steps follows the probability-flow ODE: the data distribution comes back."""
    model = load_model("mixture:1d")
    mix = MIXTURES["1d"]()
    x_T = torch.randn((3000, 1, 1, 1), generator=torch.Generator().manual_seed(3))
    x0 = run(model, "ddim", 1000, x_T).numpy().ravel()
    nearest = np.abs(x0[:, None] - mix.means[:, 0]).argmin(1)
    within = np.abs(x0 - mix.means[nearest, 0]) < 3.5 * mix.stds[nearest]
    assert within.mean() > 0.98
    for k, w in enumerate(mix.weights):
        mine = x0[nearest == k]
        assert abs(len(mine) / len(x0) - w) < 0.03
        assert abs(mine.mean() - mix.means[k, 0]) < 0.2 * mix.stds[k]
        assert abs(mine.std() / mix.stds[k] - 1) < 0.15


@pytest.mark.slow
def test_ddpm_toy_run_ends_in_the_modes_for_the_smiley():
    tr = recorded_toy(Settings(model="mixture:smiley", steps=50))
    mix = MIXTURES["smiley"]()
    for final in (tr["ddpm_final"], tr["ddim_final"]):
        d = np.linalg.norm(final[:, None, :] - mix.means[None], axis=2).min(1)
        assert (d < 4 * mix.stds.max()).mean() > 0.95
    assert tr["ddpm_t"][0] == 999 and tr["ddpm_t"][-1] == -1 and len(tr["ddim_t"]) == 51


@pytest.mark.slow
def test_ddim_strays_off_the_smiley_with_few_steps_and_not_with_many():
    """What ToyDiffusion2D says on screen: with 50 steps DDIM leaves points between the strokes,
    with 1000 it does not; the denoiser is exact, so that is the error of large steps."""
    tr = recorded_toy(Settings(model="mixture:smiley", steps=50))
    mix = MIXTURES["smiley"]()

    def off(x):  # further than 3 sd from every stroke (component)
        return np.mean([min(np.hypot(*(p - mix.means).T) / mix.stds) > 3 for p in x])
    assert tr["stray_sd"] == 3
    assert tr["ddim_stray"] == pytest.approx(off(tr["ddim_final"]))
    assert tr["ddpm_stray"] == pytest.approx(off(tr["ddpm_final"]))
    assert tr["ddim_stray"] > 0.03 and tr["ddim_fine_stray"] < tr["ddim_stray"] / 5 and tr["ddpm_stray"] < 0.01


def write_images(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, pixels in enumerate(images):
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    return folder


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    return write_images(tmp_path / "train", rng.integers(0, 256, (5, 24, 24, 3), dtype=np.uint8))


def test_exact_folder_is_the_posterior_over_its_images(folder):
    model = load_model(f"exact:{folder}")
    images = np.stack([np.asarray(Image.open(p), np.float64) / 127.5 - 1 for p in sorted(folder.iterdir())])
    images = images.transpose(0, 3, 1, 2).reshape(5, -1)
    assert model.shape == (3, 24, 24)
    rng = np.random.default_rng(2)
    for t in (980, 999):  # noisy enough that several images share the weight
        a = ALPHA_BAR[t]
        x = np.sqrt(a) * images[1] + np.sqrt(1 - a) * rng.standard_normal(images.shape[1])
        log_w = -((x - np.sqrt(a) * images) ** 2).sum(1) / (2 * (1 - a))
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        x0_mean, p = model.posterior(torch.tensor(x).float().view(1, 3, 24, 24), torch.tensor([t]))
        assert np.allclose(p.numpy()[0], w, atol=1e-3)
        assert np.allclose(x0_mean.numpy()[0], w @ images, atol=1e-3)


def test_exact_folder_memorises_at_any_resolution(tmp_path):
    """At 64x64, DDIM with the exact denoiser returns training images, copied."""
    rng = np.random.default_rng(0)
    folder = write_images(tmp_path / "big", rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8))
    model = load_model(f"exact:{folder}")
    x0 = run(model, "ddim", 50, torch.randn((6, 3, 64, 64), generator=torch.Generator().manual_seed(0)))
    images = np.stack([np.asarray(Image.open(p), np.float32) / 127.5 - 1 for p in sorted(folder.iterdir())])
    images = images.transpose(0, 3, 1, 2)
    d = np.abs(x0.numpy()[:, None] - images[None]).reshape(6, 4, -1).max(2).min(1)
    assert d.max() < 0.02


def test_cache_key_follows_the_folders_contents(folder):
    before = locate_local(f"exact:{folder}").identity()
    pixels = np.asarray(Image.open(folder / "00.png")).copy()
    pixels[0, 0] ^= 1
    Image.fromarray(pixels).save(folder / "00.png")
    after = locate_local(f"exact:{folder}").identity()
    assert before["data_sha256"] != after["data_sha256"]
    assert locate_exact("mixture:1d").identity() != locate_exact("mixture:smiley").identity()


def bad_folder(tmp_path, kind):
    where = tmp_path / kind
    if kind != "missing":
        where.mkdir()
    if kind == "unreadable":
        (where / "broken.png").write_bytes(b"not a png")
    return where


@pytest.mark.parametrize("kind, expected", [("missing", "is not a folder"), ("empty", "holds no images"),
                                            ("unreadable", "is not an image Pillow can read")])
def test_bad_exact_folder_is_one_clear_error(tmp_path, kind, expected):
    where = bad_folder(tmp_path, kind)
    with pytest.raises(ModelError, match=expected) as err:
        load_model(f"exact:{where}")
    assert f"exact:{where}" in str(err.value)
    assert "exact:FOLDER" in str(err.value) or "remove it from the folder" in str(err.value)


def test_cli_names_the_bad_exact_folder_and_the_fix(tmp_path):
    from click.testing import CliRunner

    from sampling.cli import main
    result = CliRunner().invoke(main, ["sample", "--model", f"exact:{tmp_path / 'nope'}",
                                       "--out", str(tmp_path / "a.png")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"exact:{tmp_path / 'nope'}" in result.output and "exact:emoji-faces" in result.output


def test_cli_samples_with_an_exact_folder(tmp_path, folder):
    from click.testing import CliRunner

    from sampling.cli import main
    out = tmp_path / "s.npy"
    result = CliRunner().invoke(main, ["sample", "--model", f"exact:{folder}", "--steps", "20", "--n", "3",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert np.load(out).shape == (3, 3, 24, 24)


def test_mixtures_only_run_the_toy_experiment_and_the_toy_needs_a_mixture():
    with pytest.raises(SpecError, match="toy experiment"):
        specs_for("reverse", Settings(), locate_local("mixture:1d"))
    with pytest.raises(SpecError, match="needs a mixture"):
        specs_for("toy", Settings(), locate_local("embedded"))
    with pytest.raises(ModelError, match="mixture:smiley"):
        locate_local("mixture:nope")


def test_cache_build_picks_what_each_model_can_record(tiny_model, tmp_path):
    from cache.specs import experiments_for, memorisation_model
    assert experiments_for(locate_local("mixture:smiley")) == ["toy", "schedules", "guidance", "flow"]
    assert experiments_for(locate_local("mixture:1d")) == ["toy"]
    assert experiments_for(locate_local("embedded"))[-1] == "memorisation"
    assert "memorisation" not in experiments_for(locate_local(str(tiny_model)))  # no training.json
    assert "toy" not in experiments_for(locate_local("embedded"))
    # memorisation compares a model that `diffviz train` made, else the embedded one
    assert memorisation_model(Settings(model=str(tiny_model))) == "embedded"
    assert memorisation_model(Settings(model="google/ddpm-celebahq-256")) == "embedded"
    import shutil
    trained = shutil.copytree(tiny_model, tmp_path / "trained")
    (trained / "training.json").write_text('{"spec": {"dataset": "emoji-faces"}}')
    assert memorisation_model(Settings(model=str(trained))) == str(trained)
