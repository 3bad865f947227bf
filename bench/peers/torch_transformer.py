"""PyTorch peer for bench/transformer.ts: training steps of the same small causal transformer LM.

Same shapes and work as rulebench's `{ preset: 'transformer' }`: token + learned position
embeddings, pre-LN blocks (q/k/v/o without bias, heads splitting the width in order, scores
/ sqrt(d_head), causal mask, softmax; MLP d -> mlp*d GELU(tanh) -> d with biases), a final
LayerNorm, a head [vocab, d] without bias, mean cross-entropy over every position, Adam.
Random token batches, built before the clock. Prints one JSON object on stdout.

Usage: OMP_WAIT_POLICY=PASSIVE python3 torch_transformer.py --threads 1 --vocab 90 --context 64
       --dim 64 --heads 4 --blocks 2 --batch 32 --steps 40 --warmup 10 [--device cpu|cuda]
(--device cuda: the WebGPU bench's peer on the same GPU, synchronized at each step.)
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(d)
        self.q = torch.nn.Linear(d, d, bias=False)
        self.k = torch.nn.Linear(d, d, bias=False)
        self.v = torch.nn.Linear(d, d, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, mlp * d)
        self.fc2 = torch.nn.Linear(mlp * d, d)

    def forward(self, x, mask):
        n, t, d = x.shape
        h = self.ln1(x)
        split = lambda z: z.view(n, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        s = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        s = s.masked_fill(mask, float("-inf"))
        a = (F.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(n, t, d)
        x = x + self.o(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class LM(torch.nn.Module):
    def __init__(self, vocab, context, d, heads, blocks, mlp):
        super().__init__()
        self.tok = torch.nn.Parameter(torch.randn(vocab, d) * 0.1)
        self.pos = torch.nn.Parameter(torch.randn(context, d) * 0.1)
        self.blocks = torch.nn.ModuleList([Block(d, heads, mlp) for _ in range(blocks)])
        self.lnf = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, vocab, bias=False)
        self.register_buffer("mask", torch.triu(torch.ones(context, context, dtype=torch.bool), 1))

    def forward(self, ids):
        x = self.tok[ids] + self.pos
        for b in self.blocks:
            x = b(x, self.mask)
        return self.head(self.lnf(x))


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("threads", 1), ("vocab", 90), ("context", 64), ("dim", 64), ("heads", 4), ("blocks", 2), ("mlp", 4),
                          ("batch", 32), ("steps", 40), ("warmup", 10)]:
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda: PyTorch on the GPU the WebGPU bench runs on")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = LM(a.vocab, a.context, a.dim, a.heads, a.blocks, a.mlp).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    g = torch.Generator().manual_seed(1)
    batches = [torch.randint(0, a.vocab, (a.batch, a.context + 1), generator=g).to(dev) for _ in range(8)]
    # A CUDA step returns before the GPU finishes it: wait at each mark, or the times measure launches.
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def step(i):
        b = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        logits = model(b[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), b[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    sync()
    marks = [time.perf_counter()]
    c0 = time.process_time()
    for i in range(a.steps):
        loss = step(i)
        sync()
        marks.append(time.perf_counter())
    cpu_ms = (time.process_time() - c0) * 1000.0
    step_ms = np.diff(marks) * 1000.0
    tokens = a.batch * a.context
    print(json.dumps({
        "peer": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "params": sum(p.numel() for p in model.parameters()),
        "steps": a.steps, "tokensPerStep": tokens,
        "stepMedianMs": float(np.median(step_ms)), "stepMeanMs": float(np.mean(step_ms)), "cpuStepMs": cpu_ms / a.steps,
        "tokensPerSecond": tokens / (float(np.median(step_ms)) / 1000.0),
        "lastLoss": float(loss),
    }))


if __name__ == "__main__":
    sys.exit(main())
