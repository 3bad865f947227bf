# BioTorch's own DFA (BioModule in 'dfa' mode over its LeNetMNIST: biotorch/layers/dfa/conv.py and
# linear.py, the output error from biomodule.py) under the protocol of experiments/biotorch-lenet.ts
# and BioTorch's Benchmarks.md: SGD momentum 0.9, weight decay 1e-3, batch 64 (last partial batch
# dropped, as its DataLoader does), rate 1e-4 (÷10 at epochs 50, 75), cross-entropy (mean), Xavier
# W and B, 28×28 resized to 32×32 bilinear (rounded to bytes, as PIL does; torchvision is not
# needed) and normalised with the dataset's mean and std, validated on the test split. A
# diagnostic beside this project's run of the same protocol: it prints the mean training loss of
# every 100 steps and, after each epoch, the epoch's training loss and the validation loss and
# accuracy. Debian's python3-torch (1.13) and a checkout of jsalbert/biotorch (74fad0d):
#   BIOTORCH_SRC=/path/to/biotorch OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 results/biotorch-code-fashion-mnist-dfa/run.py \
#     --seed S --epochs N > results/biotorch-code-fashion-mnist-dfa/seed-S.log
import argparse
import contextlib
import gzip
import importlib.util
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

src = os.environ['BIOTORCH_SRC']
sys.path.insert(0, src)
from biotorch.module.biomodule import BioModule  # noqa: E402

# biotorch.models' package imports torchvision; load le_net.py alone.
spec = importlib.util.spec_from_file_location('le_net', os.path.join(src, 'biotorch', 'models', 'le_net.py'))
le_net = importlib.util.module_from_spec(spec)
spec.loader.exec_module(le_net)

p = argparse.ArgumentParser()
p.add_argument('--data', default='fashion-mnist')
p.add_argument('--lr', type=float, default=1e-4)
p.add_argument('--wd', type=float, default=1e-3)
p.add_argument('--epochs', type=int, default=2)
p.add_argument('--seed', type=int, default=2021)
p.add_argument('--every', type=int, default=100)
a = p.parse_args()
torch.manual_seed(a.seed)
np.random.seed(a.seed)
D = {'fashion-mnist': ('/usr/share/datasets/fashion-mnist', 0.2859, 0.3530), 'mnist': ('/usr/share/datasets/mnist', 0.1307, 0.3081)}[a.data]


def idx(path, off):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=off)


def load(split):
    pre = 'train' if split == 'train' else 't10k'
    x = idx(f'{D[0]}/{pre}-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32)
    y = idx(f'{D[0]}/{pre}-labels-idx1-ubyte.gz', 8).astype(np.int64)
    x = F.interpolate(torch.from_numpy(x), size=(32, 32), mode='bilinear', align_corners=False)
    x = torch.clamp(torch.round(x), 0, 255) / 255.0
    return (x - D[1]) / D[2], torch.from_numpy(y)


xtr, ytr = load('train')
xte, yte = load('test')
cfg = {'type': 'dfa', 'options': {'constrain_weights': False, 'init': 'xavier', 'gradient_clip': False}}
with contextlib.redirect_stdout(sys.stderr):  # BioTorch prints its conversion report
    # copy_weights=False as its create_le_net_biomodel: the layers' own Xavier init, not PyTorch's default.
    model = BioModule(le_net.LeNetMNIST(), mode='dfa', copy_weights=False, layer_config=cfg, output_dim=10)
loss_fn = torch.nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[50, 75], gamma=0.1)
step = 0
for epoch in range(a.epochs):
    model.train()
    perm = torch.randperm(len(ytr))
    tot = n = 0
    win = []
    t = time.time()
    for b in range(len(ytr) // 64):
        i = perm[b * 64:(b + 1) * 64]
        x, y = xtr[i], ytr[i]
        out = torch.squeeze(model(x, y, loss_fn))
        loss = loss_fn(out, y)
        model.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        tot += loss.item() * 64
        n += 64
        win.append(loss.item())
        if step % a.every == 0:
            print(f'step {step} loss(last {a.every}) {np.mean(win):.4f} max|logit| {out.abs().max().item():.2f}', flush=True)
            win = []
    model.eval()
    with torch.no_grad():
        o = model(xte)
        vl = loss_fn(o, yte).item()
        va = (o.argmax(1) == yte).float().mean().item()
    print(f'epoch {epoch} trainLoss {tot / n:.4f} valLoss {vl:.4f} valAcc {va:.4f} ({time.time() - t:.0f}s)', flush=True)
    sched.step()
