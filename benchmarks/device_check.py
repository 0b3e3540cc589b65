"""GPU check: light curves/s of our GRU and transformer at length 256, training windows/s, and the
same GRU in PyTorch, as ONE JSON object on stdout (run by ``benchmarks/device_check.sh``).

    python benchmarks/device_check.py              # on a machine with an NVIDIA GPU (JAX with CUDA)
    python benchmarks/device_check.py --dry-run    # the same steps, tiny, on the CPU (what CI tests)

Without ``--dry-run`` it stops at once (exit 2, one line on stderr) when JAX sees no GPU. Every
measurement has a deadline (``--budget`` seconds in all, 300 by default): what did not fit is
reported as skipped, never guessed. Inference is timed on ``--infer-batch`` rows of full length
(16,384 x 256, the issue's goal is 100,000 light curves/s for the GRU); training on ``--train-batch``
windows of mixed lengths; PyTorch (if importable) uses cuDNN's GRU with the same weights.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
N_STATIC = 23


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="tiny sizes on the CPU (checks the code path)")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds for all measurements (default 300)")
    ap.add_argument("--infer-batch", type=int, default=16384)
    ap.add_argument("--train-batch", type=int, default=1024)
    ap.add_argument("--length", type=int, default=256, help="padded light-curve length")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    if args.dry_run:  # every step once, small enough for a test on a busy CPU
        args.infer_batch, args.train_batch, args.length, args.repeats = 16, 8, 16, 1
    return args


def gpu_or_exit(jax, dry_run: bool) -> str:
    """The platform to run on: the GPU, or the CPU for a dry run; exits 2 when no GPU is visible."""
    if dry_run:
        return "cpu"
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if not gpus:
        print("device_check: error: JAX sees no GPU (jax.devices() = "
              f"{[d.platform for d in jax.devices()]}); install jax[cuda12] or run with --dry-run",
              file=sys.stderr)
        raise SystemExit(2)
    return "gpu"


class Deadline:
    """Seconds left of the run's budget; a step that cannot start in time is skipped."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def timed(fn, repeats: int, deadline: Deadline) -> float | None:
    """Median seconds of ``fn`` (after one warm-up call that compiles), or None past the deadline."""
    if deadline.left() <= 0:
        return None
    fn()
    times = []
    for _ in range(repeats):
        if deadline.left() <= 0:
            break
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) if times else None


def inputs(rng, n: int, t_len: int, mixed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, lengths, static): rows of length ``t_len``, or training-like mixed lengths (zero padded)."""
    full = rng.integers(min(20, t_len), t_len + 1, n)
    lengths = (np.maximum(1, (rng.random(n) * full).astype(np.int32)) if mixed else np.full(n, t_len)).astype(np.int32)
    x = rng.normal(size=(n, t_len, 5)).astype(np.float32)
    x[np.arange(t_len)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths, rng.normal(size=(n, N_STATIC)).astype(np.float32)


def ours(arch: str, args: argparse.Namespace, rng, deadline: Deadline) -> dict:
    """Inference light curves/s at 256 and training windows/s (mixed lengths) of one of our models."""
    import jax
    from flax import nnx

    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.loss import TreeArrays
    from elasticc_fast.nn.models import build_model
    from elasticc_fast.nn.steps import make_infer_step, make_mesh, make_optimizer, make_steps, replicate
    from elasticc_fast.taxonomy import ORACLE_TREE

    model = build_model(arch, 5, N_STATIC, len(ORACLE_TREE), seed=0)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    ta = TreeArrays.build(ORACLE_TREE)
    infer = make_infer_step(graphdef, ta)
    xi = [jax.device_put(a) for a in inputs(rng, args.infer_batch, args.length, mixed=False)]
    t_inf = timed(lambda: infer(params, rest, *xi)[0].block_until_ready(), args.repeats, deadline)
    tx, mesh = make_optimizer(TrainConfig()), make_mesh(jax.devices()[:1])
    train = make_steps(graphdef, ta, tx, mesh).train
    x, lengths, static = inputs(rng, args.train_batch, args.length, mixed=True)
    leaf = rng.choice(np.asarray(ORACLE_TREE.leaves), args.train_batch)
    # placed as the step returns them, so the warm-up call is the only compilation
    state = {"p": replicate(params, mesh), "o": replicate(tx.init(params), mesh)}

    def step() -> None:
        state["p"], state["o"], loss = train(state["p"], rest, state["o"], x, lengths, static, leaf,
                                             np.ones(args.train_batch, np.float32))
        loss.block_until_ready()
    t_train = timed(step, args.repeats, deadline)
    return {"infer_lc_per_s": args.infer_batch / t_inf if t_inf else None,
            "train_windows_per_s": args.train_batch / t_train if t_train else None}


def pytorch_gru(args: argparse.Namespace, rng, platform: str, deadline: Deadline) -> dict | None:
    """The same GRU in PyTorch (cuDNN on the GPU), same weights; None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    from model import build_ours, build_torch  # benchmarks/model.py: the twin with our weights

    dev = "cuda" if platform == "gpu" else "cpu"
    if dev == "cpu":
        torch.set_num_threads(1)  # a dry run checks the path; threads only fight over a busy CPU
    if dev == "cuda" and not torch.cuda.is_available():
        return {"error": "torch sees no CUDA device"}
    model, *_, ta = build_ours(N_STATIC)
    tm, train_step = build_torch(model, ta, dev)
    xi = [torch.tensor(a, device=dev) for a in inputs(rng, args.infer_batch, args.length, mixed=False)]
    xi[1] = xi[1].long()

    def infer() -> None:
        with torch.inference_mode():
            tm(*xi)
        if dev == "cuda":
            torch.cuda.synchronize()
    t_inf = timed(infer, args.repeats, deadline)
    x, lengths, static = inputs(rng, args.train_batch, args.length, mixed=True)
    leaf = torch.tensor(rng.choice(np.asarray(_leaves()), args.train_batch), device=dev)
    targs = (torch.tensor(x, device=dev), torch.tensor(lengths, dtype=torch.long, device=dev),
             torch.tensor(static, device=dev), leaf)

    def step() -> None:
        train_step(*targs, packed=True)
        if dev == "cuda":
            torch.cuda.synchronize()
    t_train = timed(step, args.repeats, deadline)
    return {"torch": torch.__version__, "infer_lc_per_s": args.infer_batch / t_inf if t_inf else None,
            "train_windows_per_s": args.train_batch / t_train if t_train else None}


def _leaves() -> tuple[int, ...]:
    from elasticc_fast.taxonomy import ORACLE_TREE
    return tuple(ORACLE_TREE.leaves)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dry_run:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    platform = gpu_or_exit(jax, args.dry_run)
    deadline, rng, t0 = Deadline(args.budget), np.random.default_rng(0), time.monotonic()
    out = {"dry_run": args.dry_run, "platform": platform, "device": str(jax.devices(platform)[0]),
           "jax": jax.__version__, "length": args.length, "infer_batch": args.infer_batch,
           "train_batch": args.train_batch, "gru": ours("gru", args, rng, deadline),
           "transformer": ours("transformer", args, rng, deadline),
           "pytorch_gru": pytorch_gru(args, rng, platform, deadline)}
    gru = out["gru"]["infer_lc_per_s"]
    out["goal_gru_100k_lc_per_s"] = None if gru is None or args.dry_run else gru >= 100_000
    out["seconds"] = round(time.monotonic() - t0, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
