"""Lab: which part of a ViT keeps it below a small CNN when trained supervised on a synthetic
cohort's 2,000 frontal images? PyTorch, independent of medst; same data and schedule as
pneumonia_cnn.py (64 px crops of 72 px images, BCE on six labels, AdamW 1e-3, one-cycle).

Encoders (ARCH):
  cnn        4 stages of [3×3 conv, BN, ReLU]×2 + max-pool (32…256 channels), global average pool
  vgg+vit    the CNN's first 3 stages (8×8×128 at 64 px), 1×1 to width 192, CLS + position
             embeddings, 4 pre-norm transformer blocks (3 heads, MLP ×4), CLS after the final norm
  vgg+vit:mean  the same, global feature = mean of the patch tokens
  vggWxC+vit cheaper VGG stems: base width W (W, 2W, 4W channels), C convs per stage (vgg+vit = vgg32x2+vit)
  conv+vit   medst's `conv` stem (3 stride-2 3×3 convs with ReLU, 48→96→192, then 1×1), same transformer
  conv+vit:mean
Usage: python scripts/lab/hybrid_torch.py COHORT_DIR ARCH [epochs] [seed]
"""
import re
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from cohort_frontals import LABELS  # noqa: E402
from pneumonia_cnn import cnn, train_and_score  # noqa: E402


class Transformer(nn.Module):
    def __init__(self, stem: nn.Module, channels: int, tokens: int, pool: str, width=192, depth=4, heads=3):
        super().__init__()
        self.stem, self.pool = stem, pool
        self.proj = nn.Conv2d(channels, width, 1)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(1, tokens + 1, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.head = nn.Linear(width, len(LABELS))

    def forward(self, x):
        t = self.proj(self.stem(x)).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], 1) + self.pos
        t = self.norm(self.blocks(t))
        return self.head(t[:, 0] if self.pool == "cls" else t[:, 1:].mean(1))


def conv_stem():
    return nn.Sequential(nn.Conv2d(1, 48, 3, 2, 1), nn.ReLU(), nn.Conv2d(48, 96, 3, 2, 1), nn.ReLU(), nn.Conv2d(96, 192, 3, 2, 1), nn.ReLU())


def vgg_stem(width: int, convs: int) -> nn.Sequential:
    """Three stages of `convs` × [3×3 conv, BN, ReLU] + 2×2 max-pool, width·2^s channels (medst's `vgg` stem)."""
    layers, cin = [], 1
    for s in range(3):
        for _ in range(convs):
            layers += [nn.Conv2d(cin, width << s, 3, padding=1), nn.BatchNorm2d(width << s), nn.ReLU()]
            cin = width << s
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def build(arch: str) -> nn.Module:
    name, _, pool = arch.partition(":")
    pool = pool or "cls"
    name = {"vgg+vit": "vgg32x2+vit"}.get(name, name)
    if name == "cnn":
        return cnn()
    shape = re.fullmatch(r"vgg(\d+)x(\d+)\+vit", name)
    if shape:
        width, convs = int(shape[1]), int(shape[2])
        return Transformer(vgg_stem(width, convs), 4 * width, 64, pool)
    if name == "conv+vit":
        return Transformer(conv_stem(), 192, 64, pool)
    raise SystemExit(f"unknown ARCH {arch}")


def main():
    cohort, arch = Path(sys.argv[1]), sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.manual_seed(seed)
    np.random.seed(seed)
    train_and_score(build(arch), cohort, epochs, seed, arch)


if __name__ == "__main__":
    main()
