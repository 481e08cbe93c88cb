"""The engine: runs pooled into one batch give what each gives alone, in as many calls as the longest."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from cache.specs import ForwardBackward, Reverse, SimilarNoise
from sampling.engine import run_together
from sampling.loading import load_model
from sampling.recorders import record


@pytest.mark.slow
def test_pooled_recordings_equal_serial_ones_in_as_many_calls_as_the_longest():
    model = load_model("embedded", device="cpu")
    specs = [Reverse("ddim", 12, 0), Reverse("ddpm", 7, 1), SimilarNoise("patch", 9, 2, 4, 3, 3),
             ForwardBackward("sample", 6, 3, 2, 3)]
    alone = [record(model, spec) for spec in specs]
    calls = model.calls
    pooled, pool = run_together(model, [lambda m, s=s: record(m, s) for s in specs])
    # forward_backward first samples its x_0 with 50 DDIM steps, then runs its 6-step grid
    assert model.calls - calls == 50 + 6
    assert max(pool.batch_sizes) > 2
    for a, b in zip(alone, pooled, strict=False):
        for name in a.images:
            # The trajectory itself (x, x_t, grid, ...) agrees to 3e-5: float32 rounding of kernels
            # that depend on the batch size (measured: under 1e-5 with the embedded model's 32-group
            # weights, 1.04e-5 with its 8-group ones; an 8-bit level is 7.8e-3). What the UNet outputs at low t
            # magnifies the last-bit differences of a batched convolution (eps_hat there is about
            # (x_t - sqrt(alpha_bar) x_0) / sqrt(1 - alpha_bar), with 1/sqrt(1 - alpha_bar_20) = 7),
            # and x0_hat = (x_t - sqrt(1 - alpha_bar) eps_hat) / sqrt(alpha_bar) at high t by up to
            # 1/sqrt(alpha_bar_999) = 156.
            tol = {"x0_hat": 2e-3, "eps_hat": 1e-4}.get(name, 3e-5)
            assert torch.as_tensor(a.images[name] - b.images[name]).abs().max() <= tol, name


@pytest.mark.slow
def test_a_recording_through_the_engine_is_bit_identical_to_one_made_in_the_callers_thread():
    """The runs' threads do their arithmetic on one OpenMP thread (sampling/engine.py) and the caller's thread makes
    every UNet call: alone in the pool, a recording's batches are its own, so every array it records must equal,
    bit for bit, what record() gives in this thread. The grid's 51-row batches are well above the size at which
    torch splits an operation across threads, and its recording holds reductions (distances, norms)."""
    model = load_model("embedded", device="cpu")
    threads, callers = torch.get_num_threads(), []
    hook = model.unet.register_forward_pre_hook(lambda module, args: callers.append(threading.get_ident()))
    for spec in (ForwardBackward("sample", 50, 0, 10, 8), Reverse("ddpm", 20, 1)):
        here = record(model, spec)
        callers.clear()
        (pooled,), _ = run_together(model, [lambda m, s=spec: record(m, s)])
        assert set(callers) == {threading.get_ident()} and len(callers) > 10
        assert torch.get_num_threads() == threads  # the caller's own thread count is as it was
        for kind in ("images", "numbers"):
            a, b = getattr(here, kind), getattr(pooled, kind)
            assert a.keys() == b.keys()
            for name in a:
                x, y = np.asarray(a[name]), np.asarray(b[name])
                assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (spec, name)
    hook.remove()


def test_a_failing_recording_fails_the_build_without_hanging():
    model = load_model("embedded", device="cpu")

    def broken(m):
        m(torch.zeros(1, 3, 32, 32), torch.zeros(1, dtype=torch.long))
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_together(model, [lambda m: record(m, Reverse("ddim", 5, 0)), broken])


@pytest.mark.slow
def test_out_of_memory_halves_the_batch_and_loses_nothing(monkeypatch):
    """A CUDA out-of-memory error splits the batch in halves until it fits; the result is the same."""
    model = load_model("embedded", device="cpu")
    x = torch.randn(10, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    t = torch.arange(10) * 90
    expected = torch.cat([model(x[i:i + 1], t[i:i + 1]) for i in range(10)])
    real = model.unet.forward

    def small_memory(sample, timestep, *args, **kwargs):
        if len(sample) > 3:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(sample, timestep, *args, **kwargs)

    monkeypatch.setattr(model.unet, "forward", small_memory)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    got = model(x, t)
    assert model.chunk == 2  # 10 -> 5 -> 2, and kept for the next calls
    assert (got - expected).abs().max() <= 1e-5
