"""Training and inference speed of our JAX/Flax GRU against the same architecture in PyTorch.

Both models are ORACLE's shape (GRU(100) -> GRU(100) -> Dense(100, tanh); static -> Dense(10);
concat -> Dense(100, relu) -> Dense(64, relu) -> 26 logits) with the *same weights* (copied from
ours into PyTorch; the script checks the logits agree before timing), the same hierarchical
loss and Adam, on the same padded inputs (N, T, 5) with lengths T.

    python benchmarks/model.py                       # CPU: train steps/s and inference lc/s, ratios
    python benchmarks/model.py --lengths 64 256 --batch 128 --infer-batch 1024
    python benchmarks/model.py --device gpu          # on a GPU: inference throughput at length 256

Timings are the median of ``--repeats`` runs, ours and PyTorch's interleaved so both see the same
machine load. Needs ``torch`` (benchmark-only dependency; the script reports ours alone without it).
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
def build_torch(model, ta, device: str):
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

    n_static = model.stat.kernel.shape[0]
    tm = TorchOracle(5, n_static, model.head.out.kernel.shape[1])
    t = lambda a: torch.tensor(np.asarray(a[...]))  # noqa: E731
    with torch.no_grad():  # copy our weights: PyTorch stores (out, in), gates in the same r, z, n order
        for i, g in enumerate((model.gru1, model.gru2)):
            getattr(tm.gru, f"weight_ih_l{i}").copy_(t(g.w_i).T)
            getattr(tm.gru, f"weight_hh_l{i}").copy_(t(g.w_h).T)
            getattr(tm.gru, f"bias_ih_l{i}").copy_(t(g.b_i))
            getattr(tm.gru, f"bias_hh_l{i}").copy_(t(g.b_h))
        for ours, theirs in ((model.seq, tm.seq), (model.stat, tm.stat), (model.head.fc1, tm.fc1),
                             (model.head.fc2, tm.fc2), (model.head.out, tm.out)):
            theirs.weight.copy_(t(ours.kernel).T)
            theirs.bias.copy_(t(ours.bias))
    tm = tm.to(device)
    members = torch.tensor(np.asarray(ta.members), device=device)
    group = torch.tensor(np.asarray(ta.group), device=device)
    ancestry = torch.tensor(np.asarray(ta.ancestry), device=device)
    node_w = torch.tensor(np.asarray(ta.node_weights), device=device)

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", type=int, nargs="+", default=[64, 256], help="padded lengths T")
    ap.add_argument("--batch", type=int, default=128, help="training batch size")
    ap.add_argument("--infer-batch", type=int, default=1024, help="inference batch size")
    ap.add_argument("--steps", type=int, default=5, help="training steps per timing")
    ap.add_argument("--repeats", type=int, default=5, help="timings per measurement (median)")
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                    help="gpu: time inference at length 256 on the GPU (batch 16384), both frameworks")
    ap.add_argument("--mixed-infer-batch", type=int, default=1024, help="inference batch, mixed lengths")
    ap.add_argument("--buckets", type=int, nargs="+", default=None,
                    help="our padded lengths for mixed lengths (default: TrainConfig's)")
    ap.add_argument("--no-torch", action="store_true", help="time ours only")
    ap.add_argument("--torch-threads", type=int, default=None, help="PyTorch intra-op threads (default: all cores)")
    ap.add_argument("--json", default=None, help="write every number here (with the machine)")
    args = ap.parse_args(argv)

    import jax

    if args.device == "cpu":
        jax.config.update("jax_platforms", "cpu")
    try:
        if args.no_torch:
            raise ImportError
        import torch
        torch.set_num_threads(args.torch_threads or os.cpu_count() or 1)
        tdev = "cuda" if args.device == "gpu" else "cpu"
    except ImportError:
        torch, tdev = None, None
    print(f"machine: {machine()}")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}"
          + (f"; torch {torch.__version__} on {tdev} ({torch.get_num_threads()} threads)" if torch else "; no torch"))

    n_static = 23
    model, params, rest, opt_state, train_step, eval_step, ta = build_ours(n_static)
    from elasticc_fast.taxonomy import ORACLE_TREE
    leaves = ORACLE_TREE.leaves
    tm, ttrain = build_torch(model, ta, tdev) if torch else (None, None)
    rng = np.random.default_rng(0)
    lengths_list = [256] if args.device == "gpu" else args.lengths
    infer_batch = 16384 if args.device == "gpu" else args.infer_batch

    # correctness: the two models give the same logits on the same input
    x = rng.normal(size=(8, 32, 5)).astype(np.float32)
    lens = rng.integers(1, 33, 8).astype(np.int32)
    st = rng.normal(size=(8, n_static)).astype(np.float32)
    ours_logits = np.asarray(model(x, lens, st)[0])
    if torch:
        with torch.inference_mode():
            theirs = tm(torch.tensor(x, device=tdev), torch.tensor(lens, dtype=torch.long, device=tdev),
                        torch.tensor(st, device=tdev)).cpu().numpy()
        err = float(np.abs(theirs - ours_logits).max())
        print(f"same weights, max |logit difference| = {err:.2e}")
        assert err < 1e-3, "the PyTorch twin does not compute the same function"

    rows = []
    for T in lengths_list:
        res = {"T": T}
        if args.device == "cpu":
            xb = rng.normal(size=(args.batch, T, 5)).astype(np.float32)
            lb = np.full(args.batch, T, np.int32)
            sb = rng.normal(size=(args.batch, n_static)).astype(np.float32)
            leaf = rng.choice(np.asarray(leaves), args.batch)
            wb = np.ones(args.batch, np.float32)
            state = {"p": copy_tree(params), "o": copy_tree(opt_state)}

            def ours_train():
                for _ in range(args.steps):
                    state["p"], state["o"], loss = train_step(state["p"], rest, state["o"], xb, lb, sb, leaf, wb)
                loss.block_until_ready()
            ours_train()  # compile
            if torch:
                tx_, tl_, ts_, tleaf = (torch.tensor(xb), torch.tensor(lb, dtype=torch.long), torch.tensor(sb),
                                        torch.tensor(leaf))

                def torch_train():
                    for _ in range(args.steps):
                        ttrain(tx_, tl_, ts_, tleaf)
                torch_train()
        xi = rng.normal(size=(infer_batch, T, 5)).astype(np.float32)
        li = np.full(infer_batch, T, np.int32)
        si = rng.normal(size=(infer_batch, n_static)).astype(np.float32)
        if args.device == "gpu":
            xi, li, si = (jax.device_put(a) for a in (xi, li, si))

        def ours_infer():
            eval_step(params, rest, xi, li, si)[0].block_until_ready()
        ours_infer()
        if torch:
            txi, tli, tsi = (torch.tensor(xi if args.device == "cpu" else np.asarray(xi), device=tdev),
                             torch.tensor(np.asarray(li), dtype=torch.long, device=tdev),
                             torch.tensor(np.asarray(si), device=tdev))

            def torch_infer():
                with torch.inference_mode():
                    tm(txi, tli, tsi)
                if tdev == "cuda":
                    torch.cuda.synchronize()
            torch_infer()
        t_ours_train, t_torch_train, t_ours_inf, t_torch_inf = [], [], [], []
        for _ in range(args.repeats):  # interleaved: both see the same load
            if args.device == "cpu":
                t_ours_train.append(median_time(ours_train, 1))
                if torch:
                    t_torch_train.append(median_time(torch_train, 1))
            t_ours_inf.append(median_time(ours_infer, 1))
            if torch:
                t_torch_inf.append(median_time(torch_infer, 1))
        if args.device == "cpu":
            res["ours_train"] = args.steps / statistics.median(t_ours_train)
            res["torch_train"] = args.steps / statistics.median(t_torch_train) if torch else float("nan")
        res["ours_infer"] = infer_batch / statistics.median(t_ours_inf)
        res["torch_infer"] = infer_batch / statistics.median(t_torch_inf) if torch else float("nan")
        rows.append(res)

    mixed = realistic(args, rng, n_static, params, rest, opt_state, train_step, eval_step, leaves, tm, ttrain,
                      torch, tdev) if args.device == "cpu" else None
    if args.json:
        write_json(args.json, {"args": vars(args), "fixed_length": rows, "mixed_lengths": mixed,
                               "units": "train: steps/s (fixed) or windows/s (mixed); infer: light curves/s"})

    print()
    if args.device == "cpu":
        print(f"training: batch {args.batch}, steps/s (forward + backward + Adam)")
        print(f"{'T':>5} {'ours':>10} {'PyTorch':>10} {'ratio':>8}")
        for r in rows:
            print(f"{r['T']:>5} {r['ours_train']:>10.2f} {r['torch_train']:>10.2f} {r['ours_train'] / r['torch_train']:>7.2f}x")
        print()
    print(f"inference: batch {infer_batch}, light curves/s")
    print(f"{'T':>5} {'ours':>10} {'PyTorch':>10} {'ratio':>8}")
    for r in rows:
        print(f"{r['T']:>5} {r['ours_infer']:>10.0f} {r['torch_infer']:>10.0f} {r['ours_infer'] / r['torch_infer']:>7.2f}x")
    print(f"\nload average at end {os.getloadavg()[0]:.1f} (a shared machine slows PyTorch's threads most)")
    if mixed:
        print()
        print(f"mixed lengths (padded to {mixed['T']}, lengths max(1, int(f n)), f ~ U(0,1), n ~ U(20, {mixed['T']})):")
        print("  ours: windows grouped by length, padded to buckets (elasticc_fast.nn.data); "
              "PyTorch: pack_padded_sequence")
        print(f"{'':>12} {'ours':>10} {'PyTorch':>10} {'ratio':>8}")
        print(f"{'train win/s':>12} {mixed['ours_train']:>10.0f} {mixed['torch_train']:>10.0f} "
              f"{mixed['ours_train'] / mixed['torch_train']:>7.2f}x")
        print(f"{'infer lc/s':>12} {mixed['ours_infer']:>10.0f} {mixed['torch_infer']:>10.0f} "
              f"{mixed['ours_infer'] / mixed['torch_infer']:>7.2f}x")
    return 0


def realistic(args, rng, n_static, params, rest, opt_state, train_step, eval_step, leaves, tm, ttrain, torch,
              tdev, T=256, n_infer=8192, n_train_batches=12):
    """Throughput on windows of mixed lengths, each framework skipping padding its own way."""
    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.data import StaticNorm, length_grouped_order, take_batch
    from elasticc_fast.predict import infer_windows

    n = max(n_infer, args.batch * n_train_batches)
    full = rng.integers(20, T + 1, n)
    lengths = np.maximum(1, (rng.random(n) * full).astype(np.int32)).astype(np.int32)
    x = rng.normal(size=(n, T, 5)).astype(np.float32)
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    static = rng.normal(size=(n, n_static)).astype(np.float32)
    leaf = rng.choice(np.asarray(leaves), n)
    cfg = TrainConfig(eval_batch_size=args.mixed_infer_batch,
                      **({"buckets": tuple(args.buckets)} if args.buckets else {}))
    ident = StaticNorm(np.zeros(n_static, np.float32), np.ones(n_static, np.float32))
    batches = length_grouped_order(lengths, args.batch, np.random.default_rng(0))[:n_train_batches]
    out = {"T": T}

    def ours_infer():
        infer_windows(eval_step, params, rest, x[:n_infer], lengths[:n_infer], ident(static[:n_infer]),
                      batch_size=cfg.eval_batch_size, buckets=cfg.buckets)

    state = {"p": copy_tree(params), "o": copy_tree(opt_state)}

    def ours_train():
        for idx in batches:
            xb, lb, sb, wb = take_batch(x, lengths, static, idx, args.batch, cfg.buckets)
            lf = np.zeros(args.batch, np.int64)
            lf[:len(idx)] = leaf[idx]
            state["p"], state["o"], loss = train_step(state["p"], rest, state["o"], xb, lb, sb, lf, wb)
        loss.block_until_ready()

    ours_infer(), ours_train()  # compile every bucket
    t_oi, t_ot, t_ti, t_tt = [], [], [], []
    if torch:
        tx, tl, ts, tlf = torch.tensor(x), torch.tensor(lengths, dtype=torch.long), torch.tensor(static), \
            torch.tensor(leaf)

        def torch_infer():
            with torch.inference_mode():
                for s in range(0, n_infer, args.mixed_infer_batch):
                    e = s + args.mixed_infer_batch
                    tm.forward_packed(tx[s:e], tl[s:e], ts[s:e])

        def torch_train():
            for idx in batches:
                i = torch.tensor(idx)
                ttrain(tx[i], tl[i], ts[i], tlf[i], packed=True)
        torch_infer(), torch_train()
    for _ in range(args.repeats):
        t_oi.append(median_time(ours_infer, 1))
        t_ot.append(median_time(ours_train, 1))
        if torch:
            t_ti.append(median_time(torch_infer, 1))
            t_tt.append(median_time(torch_train, 1))
    n_win = sum(len(b) for b in batches)
    out["ours_infer"] = n_infer / statistics.median(t_oi)
    out["ours_train"] = n_win / statistics.median(t_ot)
    out["torch_infer"] = n_infer / statistics.median(t_ti) if torch else float("nan")
    out["torch_train"] = n_win / statistics.median(t_tt) if torch else float("nan")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
