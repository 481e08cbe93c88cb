"""Many recordings at once, as one batch: the engine behind `diffviz cache build`.

Each recording runs its own plain sampler loop in a thread, against a stand-in for the model.
Whenever every live run is waiting on a UNet call, their inputs go through the UNet as one
batch (in run order, so results do not depend on thread timing), made by the one thread that
started the runs, and each run gets its part back. A full build then costs about as many UNet
calls as its longest run, whatever the number of runs, and the samplers stay single plain loops.
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
    """The runs hand their inputs in and wait; one thread, the one that serves the pool, makes every
    UNet call. On a CPU torch's OpenMP keeps a team of threads per thread that calls it: a model
    called by whichever run came last would keep a team per run, the idle teams spinning against the
    working one for the same cores."""

    def __init__(self, model: Denoiser, runs: int, on_call: Callable[[int], None] | None = None):
        self.model = model
        self.on_call = on_call  # told each batch's size, after the call
        self.live = runs
        self.waiting: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.results: dict[int, torch.Tensor] = {}
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)  # the server waits here for a full batch
        self.done = threading.Condition(self.lock)   # the runs wait here for their results
        self.batch_sizes: list[int] = []

    def call(self, index: int, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        with self.lock:
            self.waiting[index] = (x, t)
            if len(self.waiting) >= self.live:
                self.ready.notify()
            while index not in self.results and self.error is None:
                self.done.wait()
            if self.error is not None:
                raise RuntimeError("another recording of this build failed") from self.error
            return self.results.pop(index)

    def finished(self) -> None:
        with self.lock:
            self.live -= 1
            self.ready.notify()

    def failed(self, error: BaseException) -> None:
        with self.lock:
            self.error = self.error or error  # keep the first failure
            self.live -= 1
            self.done.notify_all()
            self.ready.notify()

    def serve(self) -> None:
        """One UNet call for every waiting run, once no live run is still computing; until none is live."""
        while True:
            with self.lock:
                while self.live and (self.error is not None or not self.waiting or len(self.waiting) < self.live):
                    self.ready.wait()
                if not self.live:
                    return
                order = sorted(self.waiting)
                xs = [self.waiting[i][0] for i in order]
                ts = [self.waiting[i][1] for i in order]
                self.waiting.clear()
            try:  # every live run is waiting: nothing else touches the pool meanwhile
                eps = self.model(torch.cat(xs), torch.cat(ts))
            except BaseException as err:  # noqa: BLE001 - handed to every waiting run
                with self.lock:
                    self.error = err
                    self.done.notify_all()
                continue
            self.batch_sizes.append(len(eps))
            if self.on_call:
                self.on_call(len(eps))
            with self.lock:
                for i, part in zip(order, torch.split(eps, [len(x) for x in xs]), strict=False):
                    self.results[i] = part
                self.done.notify_all()


def run_together(model: Denoiser, jobs: list[Callable[[Denoiser], object]],
                 on_call: Callable[[int], None] | None = None) -> tuple[list, BatchPool]:
    """Run jobs(model) at once with their UNet calls pooled; their results in job order.
    on_call(batch size) follows every batched UNet call. The calling thread makes the UNet calls."""
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
    pool.serve()
    for th in threads:
        th.join()
    if pool.error is not None:  # the first failure, not the others it brought down
        raise pool.error
    return results, pool
