"""PyTorch peer for `npm run bench`: SGD steps of the 784-256-256-10 ReLU MLP or of LeNet-5 on MNIST.

Same work as rulebench's: float32, softmax cross-entropy (mean), SGD, batch 128, 60,000 images
read from the raw IDX files, pixels / 255, a fresh shuffle per epoch (last batch of 96 kept). The
shuffle gather happens before the clock starts, as rulebench's Loader fills its batch buffers
outside the timed step. LeNet: 32x32 inputs (zero-padded outside the clock), conv 1->6 5x5, ReLU, max
pool 2, conv 6->16 5x5, ReLU, max pool 2, dense 400-120-84-10 with ReLU (rulebench's lenet5 preset).
ResNet-20: He et al.'s CIFAR net as rulebench's `resnet` preset builds it (3x3 convs without bias,
batch norm in training mode, option-A shortcuts: strided identity zero-padded in channels; stages
of 16, 32, 64 channels, global mean pool, dense), on the same 32x32 MNIST (one input channel).
Prints one JSON object.

The parent pins the thread count in the environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
MKL_NUM_THREADS, OMP_WAIT_POLICY=PASSIVE) and this sets torch.set_num_threads alike, so no
library runs a helper thread it does not claim.

Usage: python3 torch_peer.py --data DIR --threads 1 --model mlp|lenet|resnet20 [--steps S] [--reps 1] [--warmup 50]
       python3 torch_peer.py --threads 1 --matmul '[[m,n,k,transA,transB], ...]'
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


class Basic(torch.nn.Module):
    """One basic block: conv-BN-ReLU-conv-BN, plus the shortcut (option A where the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = torch.nn.BatchNorm2d(cout)
        self.c2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = torch.nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        s = x[:, :, :: self.stride, :: self.stride] if self.stride > 1 else x
        if self.pad:
            s = torch.nn.functional.pad(s, (0, 0, 0, 0, 0, self.pad))
        return torch.relu(y + s)


def resnet20(cin, classes, width=16, n=3):
    layers = [torch.nn.Conv2d(cin, width, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(width), torch.nn.ReLU()]
    c = width
    for stage in range(3):
        out = width * 2 ** stage
        for k in range(n):
            layers.append(Basic(c, out, 2 if stage > 0 and k == 0 else 1))
            c = out
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(c, classes)]
    return torch.nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--matmul", help="JSON list of [m, n, k, transA, transB]: time torch.mm only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", choices=["mlp", "lenet", "resnet20"], default="mlp")
    ap.add_argument("--steps", type=int, default=0, help="timed steps per rep (0: a full epoch)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=50, help="untimed warm-up steps")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda: PyTorch on the GPU the WebGPU bench runs on")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
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

    if args.model == "mlp":
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 10),
        )
    elif args.model == "resnet20":
        x_all = torch.nn.functional.pad(x_all.reshape(n, 1, 28, 28), (2, 2, 2, 2))
        model = resnet20(1, 10)
    else:
        x_all = torch.nn.functional.pad(x_all.reshape(n, 1, 28, 28), (2, 2, 2, 2))
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
            torch.nn.Linear(84, 10),
        )
    dev = torch.device(args.device)
    model.to(dev)
    x_all, y_all = x_all.to(dev), y_all.to(dev)
    # A CUDA step returns before the GPU finishes it: wait at each mark, or the times measure launches.
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
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
    epoch_steps = (n + args.batch - 1) // args.batch
    steps = min(args.steps, epoch_steps) if args.steps > 0 else epoch_steps
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
            sync()
            marks.append(time.perf_counter())
        cpu.append((time.process_time() - c0) * 1000.0)
        last_loss = float(loss)
        epochs.append((marks[-1] - marks[0]) * 1000.0)
        step_medians.append(float(np.median(np.diff(marks))) * 1000.0)

    with torch.no_grad():
        ti = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
        tl = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
        tx = torch.from_numpy(ti.reshape(len(ti), -1).astype(np.float32) / 255.0)
        if args.model != "mlp":
            tx = torch.nn.functional.pad(tx.reshape(len(ti), 1, 28, 28), (2, 2, 2, 2))
        acc = float((model(tx.to(dev)).argmax(1).cpu() == torch.from_numpy(tl.astype(np.int64))).float().mean())

    print(json.dumps({
        "peer": "torch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": args.model,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "steps": steps,
        "stepsPerEpoch": epoch_steps,
        # Per epoch: the timed steps scaled to a full epoch (exact when steps = a full epoch).
        "epochMs": [t * epoch_steps / steps for t in epochs],
        "stepMedianMs": step_medians,
        "cpuEpochMs": [t * epoch_steps / steps for t in cpu],
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")},
        "lastLoss": last_loss,
        "testAccAfterRuns": acc,
        "epochsTrained": args.reps,
        "blas": "see torch.__config__.show()",
    }))


if __name__ == "__main__":
    sys.exit(main())
