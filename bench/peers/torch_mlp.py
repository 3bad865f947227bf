"""PyTorch peer for `npm run bench`: one SGD epoch of the 784-256-256-10 ReLU MLP on MNIST.

Same work as rulebench's BP epoch: float32, softmax cross-entropy (mean), SGD lr 0.1, batch 128,
60,000 images read from the raw IDX files, pixels / 255, a fresh shuffle per epoch (last batch
of 96 kept). The shuffle gather happens before the clock starts, as rulebench's Loader fills its
batch buffers outside the timed step. Prints one JSON object on stdout.

Usage: OMP_WAIT_POLICY=PASSIVE python3 torch_mlp.py --data DIR --threads 1 --reps 3 [--warmup 50]
       OMP_WAIT_POLICY=PASSIVE python3 torch_mlp.py --threads 1 --matmul '[[m,n,k,transA,transB], ...]'
(the second form times torch.mm on those shapes instead: GFLOP/s = 2mnk / median time).
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def bench_matmul(shapes):
    rows = []
    for m, n, k, ta, tb in shapes:
        # Transposed operands are strided views, as rulebench's kernels read them: no copies.
        a = torch.rand(k, m).t() if ta else torch.rand(m, k)
        b = torch.rand(n, k).t() if tb else torch.rand(k, n)
        out = torch.empty(m, n)
        for _ in range(20):
            torch.mm(a, b, out=out)
        times = []
        t_end = time.perf_counter() + 0.3
        while len(times) < 20 or (time.perf_counter() < t_end and len(times) < 2000):
            t0 = time.perf_counter()
            torch.mm(a, b, out=out)
            times.append(time.perf_counter() - t0)
        times.sort()
        med = times[len(times) // 2]
        rows.append({"m": m, "n": n, "k": k, "transA": bool(ta), "transB": bool(tb),
                     "ms": med * 1000.0, "gflops": 2.0 * m * n * k / med / 1e9,
                     "bestGflops": 2.0 * m * n * k / times[0] / 1e9})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--matmul", help="JSON list of [m, n, k, transA, transB]: time torch.mm only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=50, help="untimed warm-up steps")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.matmul:
        print(json.dumps({"peer": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
                          "matmul": bench_matmul(json.loads(args.matmul))}))
        return 0
    if not args.data:
        ap.error("--data DIR is required")
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte"))
    x_all = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y_all = torch.from_numpy(labels.astype(np.int64))
    n = x_all.shape[0]

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    def shuffled():
        perm = torch.randperm(n)
        return x_all[perm].contiguous(), y_all[perm].contiguous()

    xs, ys = shuffled()
    for i in range(args.warmup):
        j = (i * args.batch) % (n - args.batch)
        step(xs[j : j + args.batch], ys[j : j + args.batch])

    epochs = []
    step_medians = []
    cpu = []
    steps = (n + args.batch - 1) // args.batch
    last_loss = float("nan")
    for _ in range(args.reps):
        xs, ys = shuffled()
        # Per-step times too: their median is robust to preemption on a busy machine.
        # Process CPU time too: time spent preempted by other processes does not count, so on a
        # loaded machine it approximates the unloaded wall time (1 thread; with 2 it sums both).
        marks = [time.perf_counter()]
        c0 = time.process_time()
        for s in range(steps):
            lo = s * args.batch
            loss = step(xs[lo : lo + args.batch], ys[lo : lo + args.batch])
            marks.append(time.perf_counter())
        cpu.append((time.process_time() - c0) * 1000.0)
        last_loss = float(loss)
        epochs.append((marks[-1] - marks[0]) * 1000.0)
        step_medians.append(float(np.median(np.diff(marks))) * 1000.0)

    with torch.no_grad():
        ti = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
        tl = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
        tx = torch.from_numpy(ti.reshape(len(ti), -1).astype(np.float32) / 255.0)
        acc = float((model(tx).argmax(1) == torch.from_numpy(tl.astype(np.int64))).float().mean())

    print(json.dumps({
        "peer": "torch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "stepsPerEpoch": steps,
        "epochMs": epochs,
        "stepMedianMs": step_medians,
        "cpuEpochMs": cpu,
        "lastLoss": last_loss,
        "testAccAfterRuns": acc,
        "epochsTrained": args.reps,
        "blas": "see torch.__config__.show()",
    }))


if __name__ == "__main__":
    sys.exit(main())
