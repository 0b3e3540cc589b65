"""Streaming training input: fixed-shape batches read from shards by a background thread.

    stream = ShardStream(open_shards("shards/"), batch_size=512, static_norm=ds.static_norm())
    for batch in stream.epoch(3):          # StreamBatch: x, lengths, static, label, weight
        ...

Each epoch the windows are cut into blocks of ``block_rows`` consecutive rows of a shard (the
block boundaries shift by a random offset every epoch), the blocks of all shards are shuffled
together and dealt into batches. Shards are row-shuffled when written, so a batch mixes
``batch_size / block_rows`` random pieces of the dataset. A thread reads the blocks with
``pread`` into fresh arrays and keeps at most ``prefetch`` batches ready: memory is bounded by
about ``prefetch + 3`` batches (plus the epoch's plan, 12 bytes per block, and ~1 kB per open shard file) whatever the size of
the dataset, and reading overlaps training.

Every batch has ``batch_size`` rows (the last one of an epoch is padded with rows of weight 0,
length 1, label 0, unless ``drop_last``) and T = the shards' T, or with ``buckets`` the
smallest bucket holding the batch's longest window (a few shapes, each compiled once).

Several processes (multi-host JAX): with ``process_count=P`` every process deals the same global
batches (same seed) and reads only rows ``[p * B / P, (p + 1) * B / P)`` of each, while the
length bucket is taken from the whole global batch, so all processes agree on the shape.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..nn.data import Batch
from .shards import ShardDataset

__all__ = ["ShardStream", "StreamBatch"]

log = logging.getLogger(__name__)


#: one batch of the stream (the training loop's :class:`elasticc_fast.nn.data.Batch`)
StreamBatch = Batch


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


class ShardStream:
    """Batches of a :class:`~elasticc_fast.scale.shards.ShardDataset` (see the module docstring).

    Args:
        dataset: the shards (``open_shards(path)`` or a ``subset``/``split`` of it).
        batch_size: global rows per batch (B).
        shuffle: shuffle blocks every epoch (False: shards and rows in order, e.g. validation).
        seed: with the epoch number, fixes the order.
        block_rows: consecutive rows read at once (larger: fewer, bigger reads; less mixing).
        prefetch: batches kept ready by the reader thread.
        drop_last: drop the last partial batch instead of padding it.
        buckets: padded lengths allowed (None: always the shards' T).
        static_norm: callable applied to the static features (e.g. ``dataset.static_norm()``).
        process_index, process_count: this process's share of every batch (multi-host).
    """

    def __init__(self, dataset: ShardDataset, batch_size: int, *, shuffle: bool = True, seed: int = 0,
                 block_rows: int = 16, prefetch: int = 4, drop_last: bool = False,
                 buckets: Sequence[int] | None = None, static_norm: Callable[[np.ndarray], np.ndarray] | None = None,
                 process_index: int = 0, process_count: int = 1):
        if batch_size < 1 or block_rows < 1 or prefetch < 1:
            raise ValueError("batch_size, block_rows and prefetch must be >= 1")
        if batch_size % process_count:
            raise ValueError(f"batch_size {batch_size} is not a multiple of process_count {process_count}")
        if not 0 <= process_index < process_count:
            raise ValueError(f"process_index {process_index} outside 0..{process_count - 1}")
        self.dataset, self.batch_size, self.shuffle, self.seed = dataset, int(batch_size), shuffle, int(seed)
        self.block_rows, self.prefetch, self.drop_last = int(block_rows), int(prefetch), drop_last
        self.buckets = tuple(sorted(int(b) for b in buckets)) if buckets else None
        self.static_norm = static_norm
        self.process_index, self.process_count = int(process_index), int(process_count)
        self.local_rows = self.batch_size // self.process_count

    def __len__(self) -> int:
        """Batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[StreamBatch]:
        return self.epoch(0)

    def batch_nbytes(self, t: int | None = None) -> int:
        """Bytes of one local batch at padded length ``t`` (default the shards' T)."""
        d = self.dataset
        t = d.T if t is None else t
        return self.local_rows * (t * d.F * 4 + 4 + d.S * 4 + 8 + 4)

    # ---------------------------------------------------------------- the plan of an epoch
    def blocks(self, epoch: int) -> np.ndarray:
        """(n_blocks, 3) int32 rows (shard, start, count) in the order they are dealt."""
        rng = np.random.default_rng([self.seed, int(epoch)])
        b = self.block_rows
        sizes = [s.n for s in self.dataset.shards]
        shifts = [int(rng.integers(b)) if self.shuffle and b > 1 else 0 for _ in sizes]
        counts = [(-(-(n - sh) // b) + (sh > 0)) if n > sh else (1 if n else 0) for n, sh in zip(sizes, shifts, strict=True)]
        plan = np.empty((sum(counts), 3), np.int32)
        pos = 0
        for si, (n, sh, k) in enumerate(zip(sizes, shifts, counts, strict=True)):
            if k == 0:
                continue
            starts = np.concatenate([[0], np.arange(sh, n, b)]) if sh > 0 else np.arange(0, n, b)
            starts = starts[:k]
            plan[pos:pos + k, 0] = si
            plan[pos:pos + k, 1] = starts
            plan[pos:pos + k, 2] = np.append(starts[1:], n) - starts
            pos += k
        if self.shuffle:
            rng.shuffle(plan, axis=0)
        return plan

    def _batches(self, blocks: np.ndarray) -> Iterator[list[tuple[int, int, int]]]:
        """Segments (shard, start, count) of each global batch, blocks split where needed."""
        cur: list[tuple[int, int, int]] = []
        room = self.batch_size
        for row in blocks:  # row by row: a Python list of the whole plan would grow with the dataset
            si, start, count = int(row[0]), int(row[1]), int(row[2])
            while count:
                k = min(count, room)
                cur.append((si, start, k))
                start, count, room = start + k, count - k, room - k
                if room == 0:
                    yield cur
                    cur, room = [], self.batch_size
        if cur and not self.drop_last:
            yield cur

    def _local(self, segments: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """This process's rows ``[p * B / P, (p + 1) * B / P)`` of a global batch."""
        if self.process_count == 1:
            return segments
        lo, hi = self.process_index * self.local_rows, (self.process_index + 1) * self.local_rows
        out, pos = [], 0
        for si, start, count in segments:
            a, b = max(lo, pos), min(hi, pos + count)
            if a < b:
                out.append((si, start + a - pos, b - a))
            pos += count
        return out

    # ---------------------------------------------------------------- reading
    def _read(self, name: str, segments: list[tuple[int, int, int]], out: np.ndarray) -> None:
        pos = 0
        for si, start, count in segments:
            self.dataset.read_rows(si, name, out[pos:pos + count], start, count)
            pos += count

    def _padded_length(self, segments: list[tuple[int, int, int]]) -> int:
        d = self.dataset
        if self.buckets is None:
            return d.T
        lengths = np.empty(sum(c for _, _, c in segments), np.int32)
        self._read("lengths", segments, lengths)
        longest = int(lengths.max()) if len(lengths) else 1
        return min(next((b for b in self.buckets if b >= longest), d.T), d.T)

    def read_batch(self, segments: list[tuple[int, int, int]]) -> StreamBatch:
        """The local part of one global batch, padded to ``local_rows`` rows."""
        d, rows = self.dataset, self.local_rows
        t = self._padded_length(segments)
        local = self._local(segments)
        n = sum(c for _, _, c in local)
        x = np.zeros((rows, d.T, d.F), np.float32)
        lengths = np.ones(rows, np.int32)
        static = np.zeros((rows, d.S), np.float32)
        label = np.zeros(rows, np.int64)
        for name, arr in (("x", x), ("lengths", lengths), ("static", static), ("label", label)):
            self._read(name, local, arr)
        if t < d.T:
            x = np.ascontiguousarray(x[:, :t])
        lengths[:n] = np.clip(lengths[:n], 1, t)
        if self.static_norm is not None and d.S:
            static[:n] = self.static_norm(static[:n])
        weight = np.zeros(rows, np.float32)
        weight[:n] = 1.0
        label[n:] = 0
        return StreamBatch(x, lengths, static, label, weight)

    def epoch(self, epoch: int = 0) -> Iterator[StreamBatch]:
        """The batches of epoch ``epoch``, read ahead by a background thread."""
        q: queue.Queue = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for segments in self._batches(self.blocks(epoch)):
                    if not put(self.read_batch(segments)):
                        return
                put(_DONE)
            except BaseException as e:  # noqa: BLE001 - handed to the consumer
                put(_Failed(e))

        thread = threading.Thread(target=produce, name=f"ShardStream-epoch{epoch}", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            stop.set()
            thread.join()
