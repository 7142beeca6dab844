"""What one training run sees: each source's fixed held-out part and the per-epoch data mix.

Each ``--dataset`` source contributes a training part and a *held-out* part:

* ``synthetic``: ``synthetic_n`` fresh samples every epoch (never the same twice); held out is
  a fixed set of ``SYNTHETIC_HELDOUT`` samples from a stream training never draws from.
* a real source (``nist26``, ``mnist5k``, ...): a fixed, stratified ``HELDOUT_FRACTION`` of
  it is never trained on. The split depends only on the labels, never on ``--seed``, so every
  run and every model reports on exactly the same samples. ``repeat_real`` (or ``NAME*K`` for
  one source) shows the training part that many times per epoch, each time differently
  augmented, so a few hundred real samples are not drowned by tens of thousands of synthetic ones.

Validation averages over the held-out parts of the real sources (so 390 letters weigh as much
as 1,200 digits), or uses the synthetic one when training is synthetic only. ``val`` names
further sources to evaluate on (their held-out part) without training on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ocr_cli.data import MAX_REPEAT, MAX_SYNTHETIC_N, SYNTHETIC_DEFAULT_N, load_dataset
from ocr_cli.errors import OcrError, UsageError

HELDOUT_FRACTION = 0.3
HELDOUT_SEED = 1234  # fixed on purpose: the held-out part must not move with --seed
SYNTHETIC_HELDOUT = 2000
# The split a run reads from each source; the course's nist26 file that exists here is
# its validation split (nist26_valid.mat). Other sources default to "train".
SOURCE_SPLIT = {"nist26": "valid"}


def heldout_mask(y: np.ndarray, fraction: float = HELDOUT_FRACTION) -> np.ndarray:
    """Boolean mask of a fixed, stratified ``fraction`` of the samples (per class, rounded).

    Deterministic for given labels: the same file always yields the same held-out samples.
    """
    rng = np.random.default_rng(HELDOUT_SEED)
    mask = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        mask[rng.permutation(idx)[:round(fraction * len(idx))]] = True
    return mask


@dataclass
class Source:
    """One ``--dataset`` entry: its training part (None for synthetic) and held-out part."""

    spec: str
    train: tuple | None
    heldout: tuple
    repeat: int | None = None  # times per epoch (``NAME*K``); None: the mix's ``repeat_real``

    @property
    def name(self) -> str:
        return self.spec.partition(":")[0].strip().lower()

    @property
    def synthetic(self) -> bool:
        return self.name == "synthetic"


def load_source(spec: str, data_dir=None) -> Source:
    """Load a source and split it into its training and fixed held-out parts.

    ``NAME*K`` (e.g. ``nist26*6``) shows the training part K times per epoch.
    """
    spec, star, times = spec.partition("*")
    repeat = None
    if star:
        if not times.strip().isdigit() or not 1 <= int(times) <= MAX_REPEAT:
            raise UsageError(f"dataset {spec}*{times}: the repeat count after '*' must be a positive integer, at most {MAX_REPEAT}")
        repeat = int(times)
    name = spec.partition(":")[0].strip().lower()
    if name == "synthetic":
        X, y, _ = load_dataset("synthetic", "test", n=SYNTHETIC_HELDOUT, seed=0)
        return Source(spec, None, (X, y))
    X, y, _ = load_dataset(spec, SOURCE_SPLIT.get(name, "train"), data_dir=data_dir)
    if len(y) < 2:
        raise OcrError(f"dataset {spec!r} has {len(y)} samples; too few to hold out a validation part")
    held = heldout_mask(y)
    return Source(spec, (X[~held], y[~held]), (X[held], y[held]), repeat)


@dataclass
class DataMix:
    """The training sources and the validation sources of a run."""

    sources: list
    val_sources: list
    synthetic_n: int = SYNTHETIC_DEFAULT_N
    repeat_real: int = 1
    _pending: dict = field(default_factory=dict, init=False, repr=False)  # (epoch, seed) -> Future
    _executor: object = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, datasets: str, val: str | None = None, data_dir=None, synthetic_n: int = SYNTHETIC_DEFAULT_N,
             repeat_real: int = 1) -> "DataMix":
        """The sources named in ``datasets`` (comma-separated) and, for validation only, in ``val``."""
        if not 0 <= synthetic_n <= MAX_SYNTHETIC_N or not 1 <= repeat_real <= MAX_REPEAT:
            raise UsageError(f"--synthetic must be from 0 to {MAX_SYNTHETIC_N:,} and --repeat-real from 1 to {MAX_REPEAT}")
        specs = [s.strip() for s in datasets.split(",") if s.strip()]
        if not specs:
            raise OcrError("no dataset given")
        sources = [load_source(s, data_dir) for s in specs]
        trained = {x.partition("*")[0].strip() for x in specs}
        extra = [load_source(s, data_dir) for s in (val or "").split(",") if s.strip() and s.strip() not in trained]
        real = [s for s in sources + extra if not s.synthetic]
        return cls(sources, real or [s for s in sources if s.synthetic], synthetic_n, repeat_real)

    def times(self, source: Source) -> int:
        return source.repeat or self.repeat_real

    def samples_per_epoch(self, source: Source) -> int:
        return self.synthetic_n if source.synthetic else self.times(source) * len(source.train[1])

    def epoch_size(self) -> int:
        return sum(self.samples_per_epoch(s) for s in self.sources)

    def workers(self, epochs: int) -> int:
        """Processes that compute beside training: the synthetic-data renderer of the next epoch."""
        return int(epochs > 1 and self.synthetic_n > 0 and any(s.synthetic for s in self.sources))

    def epoch(self, epoch: int, seed: int = 0, last: bool = True):
        """This epoch's training samples (unshuffled): fresh synthetic ones plus the real parts.

        Unless ``last``, the next epoch's synthetic samples start generating in a worker
        process at once, so rendering (CPU-bound, as slow as training) overlaps training.
        """
        Xs, ys = [], []
        for s in self.sources:
            if s.synthetic:
                X, y = self._synthetic(epoch, seed, prefetch_next=not last)
            else:
                X, y = (np.concatenate([a] * self.times(s)) for a in s.train)
            Xs.append(X)
            ys.append(y)
        return np.concatenate(Xs), np.concatenate(ys)

    def _synthetic(self, epoch: int, seed: int, prefetch_next: bool):
        from ocr_cli.data.synthetic import generate

        job = self._pending.pop((epoch, seed), None)
        if prefetch_next:
            self._pending[(epoch + 1, seed)] = self._pool().submit(generate, self.synthetic_n, [seed, 101 + epoch])
        return job.result() if job is not None else generate(self.synthetic_n, seed=[seed, 100 + epoch])

    def _pool(self):
        import os
        from concurrent.futures import ProcessPoolExecutor

        from ocr_cli.workers import die_with_parent

        if self._executor is None:  # the worker ignores Ctrl-C (the trainer handles it) and dies with the trainer
            self._executor = ProcessPoolExecutor(1, initializer=die_with_parent, initargs=(os.getpid(),))
        return self._executor

    def close(self) -> None:
        """Stop the synthetic-data worker, if one was started."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._pending.clear()

    def heldout_sources(self) -> list:
        """Every source whose held-out part is scored: the trained ones, then the validation-only ones."""
        return self.sources + self.val_sources

    def validation(self):
        """``(X, y)``: all validation sources' held-out parts together."""
        return (np.concatenate([s.heldout[0] for s in self.val_sources]),
                np.concatenate([s.heldout[1] for s in self.val_sources]))

    def describe(self) -> dict:
        return {
            "train": [{"source": s.spec, "samples_per_epoch": self.samples_per_epoch(s),
                       "distinct": None if s.synthetic else len(s.train[1])} for s in self.sources],
            "heldout": {s.name: len(s.heldout[1]) for s in self.heldout_sources()},
            "validation": [s.name for s in self.val_sources],
            "heldout_rule": f"fixed stratified {HELDOUT_FRACTION:.0%} of each real source "
                            f"(seed {HELDOUT_SEED}, independent of --seed); synthetic: {SYNTHETIC_HELDOUT} fixed samples",
        }
