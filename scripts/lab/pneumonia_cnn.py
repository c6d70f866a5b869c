"""Lab: a supervised CNN ceiling per label (pneumonia included) on a synthetic cohort's
frontal images, independent of medst: PyTorch, 64 px crops of 72 px images (random in
training, centre in test), a 4-stage conv net with BatchNorm, BCE on six labels, AdamW.
Held-out = validate + test. Prints per-label test AUROC every 10 epochs and at the end.

Usage: python scripts/lab/pneumonia_cnn.py COHORT_DIR [epochs] [seed]
"""
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from cohort_frontals import LABELS, load_frontals  # noqa: E402


def load(cohort: Path, size=72):
    """Images [N, 1, size, size], labels [N, 6] (float), held-out [N] as tensors."""
    x, y, held = load_frontals(cohort, size)
    return torch.tensor(x)[:, None], torch.tensor(y, dtype=torch.float32), torch.tensor(held)


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))


def auroc(y, s):
    order = np.argsort(s)
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


def train_and_score(net: nn.Module, cohort: Path, epochs: int, seed: int, label: str, report_every=0):
    """Trains net on the training split (32 per step, random 64 px crops, AdamW 1e-3 with
    weight decay 0.05, one-cycle) and prints the held-out AUROC per label every
    report_every epochs (0: at the end only). The caller seeds torch and numpy before
    building net (seed is only printed)."""
    x, y, held = load(cohort)
    xtr, ytr, xte, yte = x[~held], y[~held], x[held][:, :, 4:68, 4:68], y[held]
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
    per_epoch = len(xtr) // 32
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=epochs * per_epoch)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        for b in range(per_epoch):
            idx = perm[b * 32:(b + 1) * 32]
            dy, dx = np.random.randint(0, 9, 2)
            loss = nn.functional.binary_cross_entropy_with_logits(net(xtr[idx][:, :, dy:dy + 64, dx:dx + 64]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        if epoch == epochs - 1 or (report_every and (epoch + 1) % report_every == 0):
            net.eval()
            with torch.no_grad():
                s = torch.cat([net(xte[i:i + 128]) for i in range(0, len(xte), 128)]).numpy()
            aucs = [auroc(yte[:, j].numpy(), s[:, j]) for j in range(len(LABELS))]
            print(f"{label} epoch {epoch + 1} seed {seed}: loss {loss.item():.3f} " + ", ".join(f"{l} {a:.3f}" for l, a in zip(LABELS, aucs)) + f" | macro5 {np.mean(aucs[:5]):.3f}", flush=True)


def cnn() -> nn.Module:
    return nn.Sequential(block(1, 32), block(32, 64), block(64, 128), block(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, len(LABELS)))


def main():
    cohort = Path(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    torch.manual_seed(seed)
    np.random.seed(seed)
    train_and_score(cnn(), cohort, epochs, seed, "cnn", report_every=10)


if __name__ == "__main__":
    main()
