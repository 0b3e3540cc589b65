"""Training and inference speed of our JAX/Flax GRU against the same architecture in PyTorch.

Both models are ORACLE's shape (GRU(100) -> GRU(100) -> Dense(100, tanh); static -> Dense(10);
concat -> Dense(100, relu) -> Dense(64, relu) -> 26 logits) with the *same weights* (copied from
ours into PyTorch; the script checks the logits agree before timing), the same hierarchical
loss and Adam, on the same padded inputs (N, T, 5) with lengths T.

    python benchmarks/model.py                       # CPU: train steps/s and inference lc/s, ratios
    python benchmarks/model.py --lengths 64 256 --batch 128 --infer-batch 1024
    python benchmarks/model.py --device gpu          # on a GPU: inference throughput at length 256
    python benchmarks/model.py --mixed-only --threads 1   # mixed lengths only, one thread each

Timings are the median of ``--repeats`` runs, ours and PyTorch's interleaved so both see the same
machine load. ``--threads N`` gives both frameworks N intra-op threads (XLA through ``XLA_FLAGS``,
set before JAX is imported): on a shared machine one thread each is the steadier comparison.
Needs ``torch`` (benchmark-only dependency; the script reports ours alone without it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from _machine import machine, write_json  # noqa: E402 (benchmarks/ is on sys.path when run as a script)
from elasticc_fast.nn.steps import copy_tree


# ------------------------------------------------------------------------------------------ ours
def build_ours(n_static: int, seed: int = 0):
    import jax
    from flax import nnx

    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.loss import TreeArrays
    from elasticc_fast.nn.models import build_model
    from elasticc_fast.nn.steps import make_infer_step, make_mesh, make_optimizer, make_steps
    from elasticc_fast.taxonomy import ORACLE_TREE

    model = build_model("gru", 5, n_static, len(ORACLE_TREE), seed)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    ta = TreeArrays.build(ORACLE_TREE)
    tx = make_optimizer(TrainConfig(clip_norm=1e9, lr_decay=1.0))
    # the train step training uses (one-device mesh, donates params and optimizer state)
    train_step = make_steps(graphdef, ta, tx, make_mesh(jax.devices()[:1])).train
    eval_step = make_infer_step(graphdef, ta)
    return model, params, rest, tx.init(params), train_step, eval_step, ta


# ------------------------------------------------------------------------------------------ torch
def torch_oracle_class():
    """ORACLE's GRU classifier in PyTorch (the class is made here so torch stays optional)."""
    import torch

    class TorchOracle(torch.nn.Module):
        def __init__(self, n_features: int, n_static: int, n_nodes: int, hidden: int = 100):
            super().__init__()
            self.gru = torch.nn.GRU(n_features, hidden, num_layers=2, batch_first=True)
            self.seq = torch.nn.Linear(hidden, 100)
            self.stat = torch.nn.Linear(n_static, 10)
            self.fc1 = torch.nn.Linear(110, 100)
            self.fc2 = torch.nn.Linear(100, 64)
            self.out = torch.nn.Linear(64, n_nodes)

        def forward(self, x, lengths, static):
            h, _ = self.gru(x)
            h = h[torch.arange(x.shape[0], device=x.device), lengths - 1]
            return self.head(h, static)

        def forward_packed(self, x, lengths, static):
            """PyTorch's own way to skip padding: a packed sequence (lengths on the CPU)."""
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                             enforce_sorted=False)
            _, h_n = self.gru(packed)
            return self.head(h_n[-1], static)

        def head(self, h, static):
            z = torch.cat([torch.tanh(self.seq(h)), self.stat(static)], dim=1)
            return self.out(torch.relu(self.fc2(torch.relu(self.fc1(z)))))

    return TorchOracle


def copy_weights(model, tm) -> None:
    """Our weights into the PyTorch twin: PyTorch stores (out, in), gates in the same r, z, n order."""
    import torch

    t = lambda a: torch.tensor(np.asarray(a[...]))  # noqa: E731
    with torch.no_grad():
        for i, g in enumerate((model.gru1, model.gru2)):
            getattr(tm.gru, f"weight_ih_l{i}").copy_(t(g.w_i).T)
            getattr(tm.gru, f"weight_hh_l{i}").copy_(t(g.w_h).T)
            getattr(tm.gru, f"bias_ih_l{i}").copy_(t(g.b_i))
            getattr(tm.gru, f"bias_hh_l{i}").copy_(t(g.b_h))
        for ours, theirs in ((model.seq, tm.seq), (model.stat, tm.stat), (model.head.fc1, tm.fc1),
                             (model.head.fc2, tm.fc2), (model.head.out, tm.out)):
            theirs.weight.copy_(t(ours.kernel).T)
            theirs.bias.copy_(t(ours.bias))


def build_torch(model, ta, device: str):
    """The PyTorch twin with our weights, and its training step (same hierarchical loss, Adam)."""
    import torch

    tm = torch_oracle_class()(5, model.stat.kernel.shape[0], model.head.out.kernel.shape[1])
    copy_weights(model, tm)
    tm = tm.to(device)
    members, group, ancestry, node_w = (torch.tensor(np.asarray(a), device=device)
                                        for a in (ta.members, ta.group, ta.ancestry, ta.node_weights))

    def hier_loss(logits, leaf):
        masked = torch.where(members[None], logits[:, None, :], torch.tensor(-torch.inf, device=device))
        lc = logits - torch.logsumexp(masked, dim=-1)[:, group]
        return -(ancestry[leaf] * node_w * lc).sum(-1).mean()

    opt = torch.optim.Adam(tm.parameters(), lr=2e-3)

    def train_step(x, lengths, static, leaf, packed=False):
        opt.zero_grad(set_to_none=True)
        loss = hier_loss((tm.forward_packed if packed else tm)(x, lengths, static), leaf)
        loss.backward()
        opt.step()
        return loss

    return tm, train_step


# ------------------------------------------------------------------------------------------ timing
def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", type=int, nargs="+", default=[64, 256], help="padded lengths T")
    ap.add_argument("--batch", type=int, default=128, help="training batch size")
    ap.add_argument("--infer-batch", type=int, default=1024, help="inference batch size")
    ap.add_argument("--steps", type=int, default=5, help="training steps per timing")
    ap.add_argument("--repeats", type=int, default=5, help="timings per measurement (median)")
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                    help="gpu: time inference at length 256 on the GPU (batch 16384), both frameworks")
    ap.add_argument("--mixed-infer-batch", type=int, default=None,
                    help="inference batch, mixed lengths (default: TrainConfig's eval_batch_size)")
    ap.add_argument("--buckets", type=int, nargs="+", default=None,
                    help="our padded lengths for mixed lengths (default: TrainConfig's)")
    ap.add_argument("--mixed-only", action="store_true", help="only the mixed-length rows")
    ap.add_argument("--no-torch", action="store_true", help="time ours only")
    ap.add_argument("--threads", type=int, default=None,
                    help="intra-op threads of both frameworks (default: all cores for each)")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    return ap.parse_args(argv)


def setup(args: argparse.Namespace):
    """JAX (threads set before import), PyTorch if wanted; returns (jax, torch or None, torch device)."""
    if args.threads:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                                   f"intra_op_parallelism_threads={args.threads}").strip()
    import jax

    if args.device == "cpu":
        jax.config.update("jax_platforms", "cpu")
    try:
        if args.no_torch:
            raise ImportError
        import torch
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
        tdev = "cuda" if args.device == "gpu" else "cpu"
    except ImportError:
        torch, tdev = None, None
    print(f"machine: {machine()}")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}"
          + (f"; torch {torch.__version__} on {tdev} ({torch.get_num_threads()} threads)" if torch else "; no torch"))
    return jax, torch, tdev


def check_same_function(model, tm, torch, tdev, n_static: int, rng) -> None:
    """The two models give the same logits on the same input (else the timing compares nothing)."""
    x = rng.normal(size=(8, 32, 5)).astype(np.float32)
    lens = rng.integers(1, 33, 8).astype(np.int32)
    st = rng.normal(size=(8, n_static)).astype(np.float32)
    ours_logits = np.asarray(model(x, lens, st)[0])
    with torch.inference_mode():
        theirs = tm(torch.tensor(x, device=tdev), torch.tensor(lens, dtype=torch.long, device=tdev),
                    torch.tensor(st, device=tdev)).cpu().numpy()
    err = float(np.abs(theirs - ours_logits).max())
    print(f"same weights, max |logit difference| = {err:.2e}")
    assert err < 1e-3, "the PyTorch twin does not compute the same function"


def interleaved(fns: dict, repeats: int) -> dict:
    """Median seconds of each callable, the callables taking turns (both see the same load)."""
    times: dict = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            times[k].append(median_time(fn, 1))
    return {k: statistics.median(v) for k, v in times.items()}


def fixed_length(args, jax, torch, tdev, ctx: dict, T: int, rng) -> dict:
    """Training steps/s (CPU) and inference light curves/s at one padded length T, rows of length T."""
    n_static, fns = ctx["n_static"], {}
    if args.device == "cpu":
        xb = rng.normal(size=(args.batch, T, 5)).astype(np.float32)
        lb, sb = np.full(args.batch, T, np.int32), rng.normal(size=(args.batch, n_static)).astype(np.float32)
        leaf, wb = rng.choice(np.asarray(ctx["leaves"]), args.batch), np.ones(args.batch, np.float32)
        state = {"p": copy_tree(ctx["params"]), "o": copy_tree(ctx["opt_state"])}

        def ours_train():
            for _ in range(args.steps):
                state["p"], state["o"], loss = ctx["train_step"](state["p"], ctx["rest"], state["o"], xb, lb, sb,
                                                                 leaf, wb)
            loss.block_until_ready()
        fns["ours_train"] = ours_train
        if torch:
            targs = (torch.tensor(xb), torch.tensor(lb, dtype=torch.long), torch.tensor(sb), torch.tensor(leaf))
            fns["torch_train"] = lambda: [ctx["ttrain"](*targs) for _ in range(args.steps)]
    n = 16384 if args.device == "gpu" else args.infer_batch
    xi, li = rng.normal(size=(n, T, 5)).astype(np.float32), np.full(n, T, np.int32)
    si = rng.normal(size=(n, n_static)).astype(np.float32)
    dev = [jax.device_put(a) for a in (xi, li, si)] if args.device == "gpu" else [xi, li, si]
    fns["ours_infer"] = lambda: ctx["eval_step"](ctx["params"], ctx["rest"], *dev)[0].block_until_ready()
    if torch:
        tin = [torch.tensor(a, device=tdev) for a in (xi, li.astype(np.int64), si)]

        def torch_infer():
            with torch.inference_mode():
                ctx["tm"](*tin)
            if tdev == "cuda":
                torch.cuda.synchronize()
        fns["torch_infer"] = torch_infer
    for fn in fns.values():
        fn()  # compile / warm up
    t = interleaved(fns, args.repeats)
    per = {"ours_train": args.steps, "torch_train": args.steps, "ours_infer": n, "torch_infer": n}
    return {"T": T, **{k: per[k] / v for k, v in t.items()}}


def report(args, rows: list[dict], mixed: dict | None) -> None:
    nan = float("nan")
    if rows and args.device == "cpu":
        print(f"training: batch {args.batch}, steps/s (forward + backward + Adam)\n{'T':>5} {'ours':>10} "
              f"{'PyTorch':>10} {'ratio':>8}")
        for r in rows:
            o, t = r["ours_train"], r.get("torch_train", nan)
            print(f"{r['T']:>5} {o:>10.2f} {t:>10.2f} {o / t:>7.2f}x")
    if rows:
        print(f"inference: light curves/s\n{'T':>5} {'ours':>10} {'PyTorch':>10} {'ratio':>8}")
        for r in rows:
            o, t = r["ours_infer"], r.get("torch_infer", nan)
            print(f"{r['T']:>5} {o:>10.0f} {t:>10.0f} {o / t:>7.2f}x")
    if mixed:
        print(f"mixed lengths (padded to {mixed['T']}, lengths max(1, int(f n)), f ~ U(0,1), n ~ U(20, {mixed['T']})):"
              "\n  ours: windows sorted by length, padded to buckets, each batch's scan stopped at its longest "
              f"row (elasticc_fast.nn); PyTorch: pack_padded_sequence\n{'':>12} {'ours':>10} {'PyTorch':>10} {'ratio':>8}")
        for what, key in (("train win/s", "train"), ("infer lc/s", "infer")):
            o, t = mixed[f"ours_{key}"], mixed.get(f"torch_{key}", nan)
            print(f"{what:>12} {o:>10.0f} {t:>10.0f} {o / t:>7.2f}x")
    print(f"load average at end {os.getloadavg()[0]:.1f} (a shared machine slows PyTorch's threads most)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    jax, torch, tdev = setup(args)
    n_static = 23
    model, params, rest, opt_state, train_step, eval_step, ta = build_ours(n_static)
    from elasticc_fast.taxonomy import ORACLE_TREE
    tm, ttrain = build_torch(model, ta, tdev) if torch else (None, None)
    ctx = dict(n_static=n_static, params=params, rest=rest, opt_state=opt_state, train_step=train_step,
               eval_step=eval_step, leaves=ORACLE_TREE.leaves, tm=tm, ttrain=ttrain)
    rng = np.random.default_rng(0)
    if torch:
        check_same_function(model, tm, torch, tdev, n_static, rng)
    lengths = [] if args.mixed_only else [256] if args.device == "gpu" else args.lengths
    rows = [fixed_length(args, jax, torch, tdev, ctx, T, rng) for T in lengths]
    mixed = realistic(args, rng, ctx, torch) if args.device == "cpu" else None
    print()
    report(args, rows, mixed)
    if args.json:
        write_json(args.json, {"args": vars(args), "fixed_length": rows, "mixed_lengths": mixed,
                               "units": "train: steps/s (fixed) or windows/s (mixed); infer: light curves/s"})
    return 0


def mixed_windows(rng, n: int, T: int, n_static: int, leaves) -> tuple:
    """Training-like windows: lengths max(1, int(f n)), f ~ U(0, 1), n ~ U(20, T), zero padded."""
    full = rng.integers(20, T + 1, n)
    lengths = np.maximum(1, (rng.random(n) * full).astype(np.int32)).astype(np.int32)
    x = rng.normal(size=(n, T, 5)).astype(np.float32)
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths, rng.normal(size=(n, n_static)).astype(np.float32), rng.choice(np.asarray(leaves), n)


def realistic(args, rng, ctx: dict, torch, T=256, n_infer=8192, n_train_batches=12) -> dict:
    """Throughput on windows of mixed lengths, each framework skipping padding its own way."""
    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.data import StaticNorm, length_grouped_order, take_batch
    from elasticc_fast.predict import infer_windows

    n_static = ctx["n_static"]
    x, lengths, static, leaf = mixed_windows(rng, max(n_infer, args.batch * n_train_batches), T, n_static,
                                             ctx["leaves"])
    opts = {"buckets": tuple(args.buckets)} if args.buckets else {}
    if args.mixed_infer_batch:
        opts["eval_batch_size"] = args.mixed_infer_batch
    cfg = TrainConfig(**opts)
    ident = StaticNorm(np.zeros(n_static, np.float32), np.ones(n_static, np.float32))
    batches = length_grouped_order(lengths, args.batch, np.random.default_rng(0))[:n_train_batches]
    state = {"p": copy_tree(ctx["params"]), "o": copy_tree(ctx["opt_state"])}

    def ours_train():
        for idx in batches:
            xb, lb, sb, wb = take_batch(x, lengths, static, idx, args.batch, cfg.buckets)
            lf = np.zeros(args.batch, np.int64)
            lf[:len(idx)] = leaf[idx]
            state["p"], state["o"], loss = ctx["train_step"](state["p"], ctx["rest"], state["o"], xb, lb, sb, lf, wb)
        loss.block_until_ready()

    fns = {"ours_infer": lambda: infer_windows(ctx["eval_step"], ctx["params"], ctx["rest"], x[:n_infer],
                                               lengths[:n_infer], ident(static[:n_infer]),
                                               batch_size=cfg.eval_batch_size, buckets=cfg.buckets),
           "ours_train": ours_train}
    if torch:
        fns.update(torch_mixed(torch, ctx, x, lengths, static, leaf, batches, n_infer, cfg.eval_batch_size))
    for fn in fns.values():
        fn()  # compile every bucket, warm up
    t = interleaved(fns, args.repeats)
    n_win = sum(len(b) for b in batches)
    return {"T": T, "infer_batch": cfg.eval_batch_size,
            **{k: (n_infer if k.endswith("infer") else n_win) / v for k, v in t.items()}}


def torch_mixed(torch, ctx: dict, x, lengths, static, leaf, batches, n_infer: int, batch: int) -> dict:
    """PyTorch on the same windows: packed sequences, batches in window order (as they come)."""
    tx, tl, ts, tlf = torch.tensor(x), torch.tensor(lengths, dtype=torch.long), torch.tensor(static), \
        torch.tensor(leaf)

    def torch_infer():
        with torch.inference_mode():
            for s in range(0, n_infer, batch):
                ctx["tm"].forward_packed(tx[s:s + batch], tl[s:s + batch], ts[s:s + batch])

    def torch_train():
        for idx in batches:
            i = torch.tensor(idx)
            ctx["ttrain"](tx[i], tl[i], ts[i], tlf[i], packed=True)
    return {"torch_infer": torch_infer, "torch_train": torch_train}


if __name__ == "__main__":
    raise SystemExit(main())
