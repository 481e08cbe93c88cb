"""Many recordings at once, as one batch: the engine behind `diffviz cache build`.

Each recording runs its own plain sampler loop in a thread, against a stand-in for the model.
Whenever every live run is waiting on a UNet call, their inputs go through the UNet as one
batch (in run order, so results do not depend on thread timing), and each run gets its part
back. A full build then costs about as many UNet calls as its longest run, whatever the number
of runs, and the samplers stay single plain loops.

Every UNet call is made by one thread, the one that called run_together; the runs' threads only
sample. On a CPU this is most of the engine's speed: torch gives each thread that enters a
parallel region its own OpenMP team, and once a process has more of them than cores, libgomp stops
letting idle workers spin and puts them to sleep after every parallel region, hundreds of times in
one UNet call (about 300 context switches a call, measured, against 1 with a single team).
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
        self.lock = threading.Lock()
        # one wake-up per waiter: the server's when a batch is ready, each run's when its part is back (a shared
        # condition woke every thread at every post, thousands of context switches a call with a dozen runs)
        self.ready = threading.Condition(self.lock)
        self.answered = [threading.Condition(self.lock) for _ in range(runs)]
        self.batch_sizes: list[int] = []

    def call(self, index: int, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """A run's UNet call: wait for the batch it joins to come back (run by serve())."""
        with self.lock:
            self.waiting[index] = (x, t)
            self._wake_server_if_ready()
            while index not in self.results and self.error is None:
                self.answered[index].wait()
            if self.error is not None:
                raise RuntimeError("another recording of this build failed") from self.error
            return self.results.pop(index)

    def finished(self) -> None:
        with self.lock:
            self.live -= 1
            self._wake_server_if_ready()

    def failed(self, error: BaseException) -> None:
        with self.lock:
            self.live -= 1
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        """Keep the first failure and wake every waiter: the runs raise, serve() returns."""
        self.error = self.error or error
        self.ready.notify()
        for answered in self.answered:
            answered.notify()

    def _wake_server_if_ready(self) -> None:
        if self.error is not None or len(self.waiting) >= self.live:
            self.ready.notify()

    def serve(self) -> None:
        """In the thread that made the pool: one UNet call for every waiting run, each time no live run is still
        computing, until no run is live (or one failed)."""
        while True:
            with self.lock:
                while self.error is None and self.live and len(self.waiting) < self.live:
                    self.ready.wait()
                if self.error is not None or not self.live:
                    return
                order = sorted(self.waiting)
                xs = [self.waiting[i][0] for i in order]
                ts = [self.waiting[i][1] for i in order]
                self.waiting.clear()
            try:  # every run is waiting: the lock is not needed meanwhile
                eps = self.model(torch.cat(xs), torch.cat(ts))
                if self.on_call:
                    self.on_call(len(eps))
            except BaseException as err:  # noqa: BLE001 - handed to every waiting run, then raised by run_together
                with self.lock:
                    self._fail(err)
                return
            with self.lock:
                self.batch_sizes.append(len(eps))
                for i, part in zip(order, torch.split(eps, [len(x) for x in xs]), strict=True):
                    self.results[i] = part
                    self.answered[i].notify()


def run_together(model: Denoiser, jobs: list[Callable[[Denoiser], object]],
                 on_call: Callable[[int], None] | None = None) -> tuple[list, BatchPool]:
    """Run jobs(model) at once with their UNet calls pooled; their results in job order.
    on_call(batch size) follows every batched UNet call. The calling thread makes every UNet call."""
    pool = BatchPool(model, len(jobs), on_call)
    results: list = [None] * len(jobs)
    threads_here = torch.get_num_threads()

    def work(i: int) -> None:
        # This thread's arithmetic runs in it alone: an OpenMP team of its own would put the UNet's to sleep (above).
        # The samplers' operations are elementwise or per row, so their results do not depend on it (tested).
        torch.set_num_threads(1)
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
    try:
        pool.serve()
        for th in threads:
            th.join()
    finally:  # torch.set_num_threads(1) also set the default a new thread starts with
        torch.set_num_threads(threads_here)
    if pool.error is not None:  # the first failure, not the others it brought down
        raise pool.error
    return results, pool
