"""Many recordings at once, as one batch: the engine behind `diffviz cache build`.

Each recording runs its own plain sampler loop in a thread, against a stand-in for the model.
Whenever every live run is waiting on a UNet call, their inputs go through the UNet as one
batch (in run order, so results do not depend on thread timing), and each run gets its part
back. A full build then costs about as many UNet calls as its longest run, whatever the number
of runs, and the samplers stay single plain loops.
"""
from __future__ import annotations

import threading
from typing import Callable

import torch

from .denoiser import Denoiser


class _Run:
    """What one recording sees as its model: the real one, but its calls are pooled."""

    def __init__(self, pool: "BatchPool", index: int):
        self._pool, self._index = pool, index

    def __getattr__(self, name):
        return getattr(self._pool.model, name)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self._pool.call(self._index, x, t)


class BatchPool:
    def __init__(self, model: Denoiser, runs: int, on_call: Callable[[int], None] | None = None):
        self.model = model
        self.on_call = on_call  # told each batch's size, after the call
        self.live = runs
        self.waiting: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.results: dict[int, torch.Tensor] = {}
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.batch_sizes: list[int] = []

    def call(self, index: int, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        with self.cond:
            self.waiting[index] = (x, t)
            self._flush_if_ready()
            while index not in self.results and self.error is None:
                self.cond.wait()
            if self.error is not None:
                raise RuntimeError("another recording of this build failed") from self.error
            return self.results.pop(index)

    def finished(self) -> None:
        with self.cond:
            self.live -= 1
            self._flush_if_ready()

    def failed(self, error: BaseException) -> None:
        with self.cond:
            self.error = self.error or error  # keep the first failure
            self.live -= 1
            self.cond.notify_all()

    def _flush_if_ready(self) -> None:
        """One UNet call for every waiting run, once no live run is still computing."""
        if not self.waiting or len(self.waiting) < self.live:
            return
        order = sorted(self.waiting)
        xs = [self.waiting[i][0] for i in order]
        ts = [self.waiting[i][1] for i in order]
        self.waiting.clear()
        try:
            eps = self.model(torch.cat(xs), torch.cat(ts))
        except BaseException as err:  # noqa: BLE001 - handed to every waiting run
            self.error = err
            self.cond.notify_all()
            return
        self.batch_sizes.append(len(eps))
        if self.on_call:
            self.on_call(len(eps))
        for i, part in zip(order, torch.split(eps, [len(x) for x in xs]), strict=False):
            self.results[i] = part
        self.cond.notify_all()


def run_together(model: Denoiser, jobs: list[Callable[[Denoiser], object]],
                 on_call: Callable[[int], None] | None = None) -> tuple[list, BatchPool]:
    """Run jobs(model) at once with their UNet calls pooled; their results in job order.
    on_call(batch size) follows every batched UNet call."""
    pool = BatchPool(model, len(jobs), on_call)
    results: list = [None] * len(jobs)

    def work(i: int) -> None:
        try:
            results[i] = jobs[i](_Run(pool, i))
        except BaseException as err:  # noqa: BLE001 - re-raised below, in the caller's thread
            results[i] = err
            pool.failed(err)
            return
        pool.finished()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if pool.error is not None:  # the first failure, not the others it brought down
        raise pool.error
    return results, pool
