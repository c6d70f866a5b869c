"""PyTorch side of the `imitate-step` bench: an independent implementation of
the same IMITATE architecture, batch, views and losses as lib/methods/imitate.ts,
timed over full training steps.

    python bench/imitate_step_torch.py SPEC.json

SPEC.json is written by bench/imitate_step.ts: the resolved ResNet / BERT
configs and IMITATE's own numbers (findings branch, head widths, d,
temperatures, view augmentation), the findings and impression token rows with
their presence flags, loss weights, optimiser settings, warm-up and timed step
counts, thread count.

Model: the bottleneck ResNet and post-LN BERT of prior_step_torch.py (stage
outputs read per stage here); two views per image from one homography per
view (flips, rotation, perspective) through F.grid_sample, then autocontrast;
the findings branch with torch.randperm channel subsets, nn.AdaptiveAvgPool2d,
zero padding, a learnable position embedding, CLS last and
nn.MultiheadAttention with a residual; Linear/BatchNorm1d heads; CICL with
torch.corrcoef soft targets. Step: forward, weighted sum, backward,
clip_grad_norm_, AdamW, loss read back.

Prints one JSON line (times in ms), as the other bench sides.
"""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from prior_step_torch import Bert, ResNet
from torch_timing import adamw, optimise, read_spec, time_steps


def stages_of(resnet, counts, x):
    """layer1..layer4 outputs of prior_step_torch's ResNet (its blocks are one flat Sequential)."""
    x = F.relu(resnet.bn1(resnet.conv1(x)))
    if resnet.stem_pool:
        x = F.max_pool2d(x, 3, 2, 1)
    out, i = [], 0
    for n in counts:
        for block in resnet.blocks[i:i + n]:
            x = block(x)
        i += n
        out.append(x)
    return out


def head(cin, hidden, out):
    return nn.Sequential(nn.Linear(cin, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out), nn.BatchNorm1d(out, affine=False))


def cicl(x, y, tau, prior=None, ratio=0.2, prior_mask=None):
    x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    sim = x @ y.T / tau
    labels = torch.eye(x.shape[0])
    if prior is not None:
        c = torch.corrcoef(prior.detach()).clamp(min=0)
        c = c * (1 - torch.eye(x.shape[0]))
        if prior_mask is not None:
            c = c * torch.outer(prior_mask, prior_mask)
        labels = labels + tau * (1 - torch.exp(-ratio * c))
    return F.cross_entropy(sim, labels) + F.cross_entropy(sim.T, labels)


def view_matrix(c, aug, rng):
    """Output→input homography of one view: flips, rotation about the centre, perspective (corners moved inward)."""
    last = c - 1
    m = np.eye(3)
    if rng.random() < aug['horizontalFlip']:
        m = m @ np.array([[-1, 0, last], [0, 1, 0], [0, 0, 1]])
    if rng.random() < aug['verticalFlip']:
        m = m @ np.array([[1, 0, 0], [0, -1, last], [0, 0, 1]])
    a = math.radians(rng.uniform(-aug['rotationDegrees'], aug['rotationDegrees']))
    mid = last / 2
    cos, sin = math.cos(a), math.sin(a)
    m = m @ np.array([[cos, -sin, mid - cos * mid + sin * mid], [sin, cos, mid - sin * mid - cos * mid], [0, 0, 1]])
    if rng.random() < aug['perspective']['probability']:
        reach = int(aug['perspective']['distortion'] * (c // 2))
        s = lambda: rng.integers(0, reach + 1)
        moved = [(s(), s()), (last - s(), s()), (last - s(), last - s()), (s(), last - s())]
        corners = [(0, 0), (last, 0), (last, last), (0, last)]
        rows, rhs = [], []
        for (u, v), (x, y) in zip(moved, corners):
            rows += [[u, v, 1, 0, 0, 0, -u * x, -v * x], [0, 0, 0, u, v, 1, -u * y, -v * y]]
            rhs += [x, y]
        h = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
        m = m @ np.append(h, 1).reshape(3, 3)
    return m


def augment(images, aug, rng):
    """[B, 1, C, C] in [−1, 1] → one augmented view (black outside the image)."""
    b, _, c, _ = images.shape
    ys, xs = torch.meshgrid(torch.arange(c, dtype=torch.float32), torch.arange(c, dtype=torch.float32), indexing='ij')
    points = torch.stack([xs.reshape(-1), ys.reshape(-1), torch.ones(c * c)], 0)  # [3, C²]
    mats = torch.tensor(np.stack([view_matrix(c, aug, rng) for _ in range(b)]), dtype=torch.float32)  # [B, 3, 3]
    src = mats @ points  # [B, 3, C²]
    grid = (src[:, :2] / src[:, 2:]).transpose(1, 2).reshape(b, c, c, 2) / (c - 1) * 2 - 1
    out = F.grid_sample(images + 1, grid, mode='bilinear', padding_mode='zeros', align_corners=True) - 1
    flat = out.reshape(b, -1)
    lo, hi = flat.min(1, keepdim=True)[0], flat.max(1, keepdim=True)[0]
    stretched = (-1 + (flat - lo) * 2 / (hi - lo).clamp(min=1e-12)).reshape_as(out)
    pick = torch.tensor(rng.random(b) < aug['autocontrast']).reshape(b, 1, 1, 1)
    return torch.where(pick, stretched, out)


class Imitate(nn.Module):
    def __init__(self, spec):
        super().__init__()
        p = spec['imitate']
        f = p['findings']
        d = p['embedWidth']
        self.counts = spec['vision']['blocks']
        self.image = ResNet(spec['vision'])
        base = spec['vision']['baseWidth']
        self.stage_channels = [base * 2 ** s * 4 for s in range(4)]
        self.take = f['counts']
        g = f['tokenGrid']
        self.pool = nn.AdaptiveAvgPool2d((g, g))
        self.token_count = f['tokenCount']
        self.cls = nn.Parameter(torch.zeros(1, 1, g * g))
        self.pos = nn.Parameter(torch.zeros(1, f['tokenCount'] + 1, g * g))
        self.attn = nn.MultiheadAttention(g * g, f['heads'], batch_first=True)
        self.impression_head = head(self.stage_channels[3], p['hidden']['impression'], d)
        self.findings_head = head(g * g, p['hidden']['findings'], d)
        self.text = Bert(spec['text'])
        self.text_head = head(spec['text']['width'], p['hidden']['text'], d)

    def encode(self, x):
        stages = stages_of(self.image, self.counts, x)
        impression = self.impression_head(stages[3].mean((2, 3)))
        tokens = [torch.flatten(self.pool(m[:, torch.randperm(c)[:k]]), 2) for m, c, k in zip(stages, self.stage_channels, self.take)]
        tok = torch.cat(tokens, 1)
        tok = F.pad(tok, (0, 0, 0, self.token_count - tok.shape[1])) + self.pos[:, 1:]
        seq = torch.cat([tok, (self.cls + self.pos[:, :1]).expand(x.shape[0], -1, -1)], 1)
        seq = self.attn(seq, seq, seq, need_weights=False)[0] + seq
        return impression, self.findings_head(seq[:, -1])


def main():
    spec = read_spec(sys.argv[1])
    rng = np.random.default_rng(spec['seed'])
    batch = spec['batch']
    rows, length = batch['rows'], batch['maxTokens']
    size = spec['vision']['imageSize']
    gen = torch.Generator().manual_seed(spec['seed'])
    frontal = torch.rand(rows, 1, size, size, generator=gen) * 2 - 1
    section = lambda key: (torch.tensor(batch[key]['inputIds'], dtype=torch.long).reshape(rows, length), torch.tensor(batch[key]['attentionMask'], dtype=torch.long).reshape(rows, length), [bool(v) for v in batch[key]['present']])
    find_ids, find_mask, has_find = section('findings')
    imp_ids, imp_mask, has_imp = section('impression')
    fi = [i for i in range(rows) if has_find[i]]
    ii = [i for i in range(rows) if has_imp[i]]
    loss_cfg = spec['imitate']['loss']
    aug = spec['imitate']['augment']

    model = Imitate(spec)
    model.train()
    opt = spec['optimizer']
    optimizer = adamw(model, spec)
    weights = spec['losses']
    tt, vt, r = loss_cfg['textTemperature'], loss_cfg['viewTemperature'], loss_cfg['priorRatio']

    def step():
        optimizer.zero_grad(set_to_none=True)
        (imp1, find1), (imp2, find2) = model.encode(augment(frontal, aug, rng)), model.encode(augment(frontal, aug, rng))
        imp_prior = model.text(imp_ids, imp_mask)[:, 0]
        find_prior = model.text(find_ids, find_mask)[:, 0]
        imp_text, find_text = model.text_head(imp_prior), model.text_head(find_prior)
        terms = {
            'impression': cicl(imp1[ii], imp_text[ii], tt, imp_prior[ii], r) + cicl(imp2[ii], imp_text[ii], tt, imp_prior[ii], r),
            'findings': cicl(find1[fi], find_text[fi], tt, find_prior[fi], r) + cicl(find2[fi], find_text[fi], tt, find_prior[fi], r),
            'impression_views': cicl(imp1, imp2, vt, imp_prior, r, torch.tensor(has_imp, dtype=torch.float32)),
            'findings_views': cicl(find1, find2, vt),
        }
        return optimise(model, optimizer, terms, weights, opt['clipNorm'])

    time_steps(step, model, spec, rows)


if __name__ == '__main__':
    main()
