"""Lab: a supervised CNN ceiling per label (pneumonia included) on a synthetic cohort's
frontal images, independent of medst: PyTorch, 64 px crops of 72 px images (random in
training, centre in test), a 4-stage conv net with BatchNorm, BCE on six labels, AdamW.
Held-out = validate + test. Prints per-label test AUROC after training.

Usage: python scripts/lab/pneumonia_cnn.py COHORT_DIR [epochs] [seed]
"""
import csv
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

LABELS = ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion", "Pneumonia"]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(cohort: Path, size=72):
    split = {r["dicom_id"]: r["split"] for r in rows(cohort / "mimic-cxr-2.0.0-split.csv")}
    labels = {r["study_id"]: r for r in rows(cohort / "mimic-cxr-2.0.0-chexpert.csv")}
    xs, ys, held = [], [], []
    for r in rows(cohort / "mimic-cxr-2.0.0-metadata.csv"):
        if r["ViewPosition"] not in ("PA", "AP"):
            continue
        s, st = r["subject_id"], r["study_id"]
        jpg = cohort / "files" / f"p{s[:2]}" / f"p{s}" / f"s{st}" / f"{r['dicom_id']}.jpg"
        xs.append(np.asarray(Image.open(jpg).convert("L").resize((size, size), Image.BOX), dtype=np.float32) / 127.5 - 1)
        ys.append([1.0 if labels[st][l] == "1.0" else 0.0 for l in LABELS])
        held.append(split[r["dicom_id"]] != "train")
    return torch.tensor(np.stack(xs))[:, None], torch.tensor(ys), torch.tensor(held)


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))


def auroc(y, s):
    order = np.argsort(s)
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


def main():
    cohort = Path(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    torch.manual_seed(seed)
    x, y, held = load(cohort)
    xtr, ytr, xte, yte = x[~held], y[~held], x[held][:, :, 4:68, 4:68], y[held]
    net = nn.Sequential(block(1, 32), block(32, 64), block(64, 128), block(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, len(LABELS)))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
    steps = epochs * (len(xtr) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=steps)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        for b in range(len(xtr) // 32):
            idx = perm[b * 32:(b + 1) * 32]
            dy, dx = np.random.randint(0, 9, 2)
            loss = nn.functional.binary_cross_entropy_with_logits(net(xtr[idx][:, :, dy:dy + 64, dx:dx + 64]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        if epoch % 10 == 9 or epoch == epochs - 1:
            net.eval()
            with torch.no_grad():
                s = torch.cat([net(xte[i:i + 128]) for i in range(0, len(xte), 128)]).numpy()
            aucs = [auroc(yte[:, j].numpy(), s[:, j]) for j in range(len(LABELS))]
            print(f"epoch {epoch + 1} loss {loss.item():.3f} " + ", ".join(f"{l} {a:.3f}" for l, a in zip(LABELS, aucs)) + f" | macro5 {np.mean(aucs[:5]):.3f}", flush=True)


if __name__ == "__main__":
    main()
