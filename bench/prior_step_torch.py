"""PyTorch side of the `prior-step` bench: an independent implementation of
the same PRIOR architecture, batch and losses as lib/methods/prior.ts, timed
over full training steps (all eight terms of stage 3).

    python bench/prior_step_torch.py SPEC.json

SPEC.json is written by bench/prior_step.ts: the resolved ResNet / BERT configs
and PRIOR's own numbers (d, pool heads, predictor, prototypes, τ, sentences,
decoder), the token rows (ids, attention mask, sentence ids), loss weights,
optimiser settings, warm-up and timed step counts, thread count.

Model: torchvision-style bottleneck ResNet (single-channel stem, optional
max-pool) → layer4 as N×HW×C tokens → CLIP AttentionPool2d
(F.multi_head_attention_forward); post-LN BERT; projected tokens averaged per
sentence; sentence attention pooling with a key padding mask; sigmoid
cross-attention both ways; SimSiam predictor; same-report InfoNCE; Gumbel-softmax
prototype bank (F.gumbel_softmax, soft); image decoder (Upsample + Conv/BN/ReLU);
nn.TransformerDecoderLayer stack from learned queries; per-sample Hungarian
matching (a plain O(n³) solver below: no SciPy in the bench environment). Step:
forward, weighted sum, backward, clip_grad_norm_, AdamW, loss read back.

Prints one JSON line: {"median", "p90", "pairsPerSecond", "maxRssMiB",
"parameters", "firstTerms", ...} (times in ms).
"""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import adamw, optimise, read_spec, time_steps


def hungarian(cost):
    """Minimum-cost assignment of every column to a distinct row (rows ≥ cols): list of (row, col)."""
    c = np.asarray(cost, dtype=np.float64).T  # columns as workers
    n, m = c.shape  # n ≤ m
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    p, way = np.zeros(m + 1, dtype=int), np.zeros(m + 1, dtype=int)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], np.inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = c[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    return [(j - 1, p[j] - 1) for j in range(1, m + 1) if p[j] != 0]


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + (self.down(x) if self.down is not None else x))


class ResNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        base = cfg['baseWidth']
        self.stem_pool = cfg['stemPool']
        self.conv1 = nn.Conv2d(cfg['inChannels'], base, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        blocks, cin = [], base
        for s, count in enumerate(cfg['blocks']):
            for i in range(count):
                blocks.append(Bottleneck(cin, base * 2 ** s, 2 if i == 0 and s > 0 else 1))
                cin = base * 2 ** s * 4
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = cin

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.stem_pool:
            x = F.max_pool2d(x, 3, 2, 1)
        return self.blocks(x)


class AttentionPool(nn.Module):
    """CLIP's AttentionPool2d over tokens, with an optional key padding mask."""

    def __init__(self, tokens, width, out, heads, positional=True):
        super().__init__()
        self.positional = nn.Parameter(torch.randn(tokens + 1, width) / width ** 0.5) if positional else None
        self.q, self.k, self.v, self.c = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, out)
        self.heads = heads

    def forward(self, x, mask=None):  # x [B, N, C], mask [B, N] 1 = real
        if mask is None:
            mean = x.mean(1, keepdim=True)
        else:
            m = mask[..., None]
            mean = (x * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1)
        seq = torch.cat([mean, x], 1)
        if self.positional is not None:
            seq = seq + self.positional[: x.shape[1] + 1]
        seq = seq.transpose(0, 1)  # (L, B, C)
        padding = None if mask is None else torch.cat([torch.zeros_like(mask[:, :1]), 1 - mask], 1).bool()
        out, _ = F.multi_head_attention_forward(
            query=seq[:1], key=seq, value=seq, embed_dim_to_check=seq.shape[-1], num_heads=self.heads,
            q_proj_weight=self.q.weight, k_proj_weight=self.k.weight, v_proj_weight=self.v.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q.bias, self.k.bias, self.v.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.c.weight, out_proj_bias=self.c.bias,
            use_separate_proj_weight=True, training=self.training, need_weights=False, key_padding_mask=padding)
        return out[0]


class BertLayer(nn.Module):
    def __init__(self, width, heads, inter, eps):
        super().__init__()
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.norm1, self.norm2 = nn.LayerNorm(width, eps=eps), nn.LayerNorm(width, eps=eps)
        self.fc1, self.fc2 = nn.Linear(width, inter), nn.Linear(inter, width)
        self.heads = heads

    def forward(self, x, bias):
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(b, n, d)
        h = self.norm1(x + self.proj(a))
        return self.norm2(h + self.fc2(F.gelu(self.fc1(h))))


class Bert(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w = cfg['width']
        self.word = nn.Embedding(cfg['vocabSize'], w)
        self.position = nn.Embedding(cfg['maxPositions'], w)
        self.token_type = nn.Embedding(cfg['typeVocabSize'], w)
        self.norm = nn.LayerNorm(w, eps=cfg['layerNormEps'])
        self.layers = nn.ModuleList([BertLayer(w, cfg['heads'], cfg['intermediateSize'], cfg['layerNormEps']) for _ in range(cfg['layers'])])

    def forward(self, ids, mask):
        n = ids.shape[1]
        x = self.norm(self.word(ids) + self.position.weight[:n] + self.token_type.weight[0])
        bias = ((1 - mask.float()) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return x


class Prior(nn.Module):
    def __init__(self, spec):
        super().__init__()
        p = spec['prior']
        d = p['embedWidth']
        self.image = ResNet(spec['vision'])
        c4 = self.image.out_channels
        self.grid = spec['grid']
        self.pool = AttentionPool(self.grid * self.grid, c4, c4, p['poolHeads'])
        self.text = Bert(spec['text'])
        self.img_global, self.img_local = nn.Linear(c4, d), nn.Linear(c4, d)
        self.token = nn.Linear(spec['text']['width'], d)
        self.sent_pool = AttentionPool(p['maxSentences'], d, d, p['poolHeads'], positional=False)
        self.t2i = nn.ModuleList([nn.Linear(d, d) for _ in range(3)])
        self.i2t = nn.ModuleList([nn.Linear(d, d) for _ in range(3)])
        self.predictor = nn.Sequential(nn.Linear(d, p['predictorHidden']), nn.ReLU(), nn.Linear(p['predictorHidden'], d))
        self.global_scale = nn.Parameter(torch.tensor(p['logitScaleInit']))
        self.local_scale = nn.Parameter(torch.tensor(p['logitScaleInit']))
        self.prototypes = nn.Parameter(torch.randn(p['prototypes'], d))
        layers, c = [], 2 * d
        for _ in range(int(math.log2(spec['stride']))):
            layers += [nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(c, c // 2, 3, padding=1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(),
                       nn.Conv2d(c // 2, c // 2, 3, padding=1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        self.decoder = nn.Sequential(*layers, nn.Conv2d(c, 1, 3, padding=1))
        self.queries = nn.Parameter(torch.randn(p['maxSentences'], d) * 0.02)
        self.report_decoder = nn.ModuleList([nn.TransformerDecoderLayer(d, p['decoder']['heads'], 4 * d, dropout=0.0, activation='gelu', batch_first=True) for _ in range(p['decoder']['layers'])])
        self.p = p

    @staticmethod
    def cross(q_in, kv_in, proj, key_mask=None):
        q, k, v = proj[0](q_in), proj[1](kv_in), proj[2](kv_in)
        w = torch.sigmoid(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]))
        if key_mask is not None:
            w = w * key_mask[:, None, :]
        return w @ v

    def loss_terms(self, frontal, ids, mask, average, sent_mask, drop):
        p = self.p
        fmap = self.image(frontal)  # [B, C, g, g]
        b, c, g, _ = fmap.shape
        tokens = fmap.flatten(2).transpose(1, 2)  # [B, g·g, C] in raster order
        features = self.pool(tokens)
        glob = self.img_global(features)
        patches = self.img_local(tokens)
        sentences = average @ self.token(self.text(ids, mask))  # [B, S, d]
        s, d = sentences.shape[1], sentences.shape[2]
        flat = sentences.reshape(b * s, d)
        q = F.gumbel_softmax(flat @ self.prototypes.T, tau=p['gumbelTau'], hard=False)
        quantised = q @ self.prototypes
        m = sent_mask.reshape(-1)
        terms = {'spb': ((quantised - flat).abs().mean(-1) * m).sum() / m.sum()}
        sentences = quantised.reshape(b, s, d)
        report = self.sent_pool(sentences, sent_mask)

        def clip(x, y, scale):
            logits = scale.exp() * F.normalize(x, dim=-1) @ F.normalize(y, dim=-1).T
            labels = torch.arange(x.shape[0])
            return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))

        terms['global'] = clip(glob, report, self.global_scale)
        t2i = self.cross(patches, sentences, self.t2i, sent_mask)
        i2t = self.cross(sentences, patches, self.i2t)
        neg_cos = lambda a, z: -F.cosine_similarity(a, z.detach(), dim=-1).mean()
        terms['local_image'] = 0.5 * neg_cos(self.predictor(patches), t2i) + 0.5 * neg_cos(self.predictor(t2i), patches)
        logits = self.local_scale.exp() * F.normalize(sentences, dim=-1) @ F.normalize(i2t, dim=-1).transpose(1, 2)  # [B, S, S]
        keep = sent_mask.bool()
        masked = logits.masked_fill(~keep[:, None, :], -1e9)
        masked_t = logits.transpose(1, 2).masked_fill(~keep[:, None, :], -1e9)
        target = torch.arange(s).expand(b, s)
        ce = F.cross_entropy(masked.reshape(b * s, s), target.reshape(-1), reduction='none') + F.cross_entropy(masked_t.reshape(b * s, s), target.reshape(-1), reduction='none')
        terms['local_text'] = 0.5 * (ce * m).sum() / m.sum()
        pmap = patches.transpose(1, 2).reshape(b, d, g, g) * drop
        image = self.decoder(torch.cat([pmap, t2i.transpose(1, 2).reshape(b, d, g, g)], 1))
        terms['image_recon'] = (image - frontal).abs().mean()
        h = self.queries[None].expand(b, -1, -1)
        for layer in self.report_decoder:
            h = layer(h, patches)
        cost = (h.detach()[:, :, None, :] - sentences.detach()[:, None, :, :]).abs().mean(-1)  # [B, Q, S]
        pred_rows, target_rows = [], []
        for i in range(b):
            real = [j for j in range(s) if sent_mask[i, j] > 0]
            for r, col in hungarian(cost[i][:, real].numpy()):
                pred_rows.append(h[i, r])
                target_rows.append(sentences[i, real[col]].detach())
        P, T = torch.stack(pred_rows), torch.stack(target_rows)
        terms['report_recon'] = (P - T).abs().mean()
        terms['report_kl'] = F.kl_div(F.log_softmax(P @ self.prototypes.T, -1), F.softmax(T @ self.prototypes.detach().T, -1), reduction='batchmean')
        terms['report_global'] = clip(self.sent_pool(h), report, self.global_scale)
        return terms


def main():
    spec = read_spec(sys.argv[1])
    batch = spec['batch']
    rows, length = batch['rows'], batch['maxTokens']
    size = spec['vision']['imageSize']
    s = spec['prior']['maxSentences']
    gen = torch.Generator().manual_seed(spec['seed'])
    frontal = torch.rand(rows, 1, size, size, generator=gen) * 2 - 1
    ids = torch.tensor(batch['inputIds'], dtype=torch.long).reshape(rows, length)
    mask = torch.tensor(batch['attentionMask'], dtype=torch.long).reshape(rows, length)
    sentence_ids = np.array(batch['sentenceIds']).reshape(rows, length)

    model = Prior(spec)
    model.train()
    opt = spec['optimizer']
    optimizer = adamw(model, spec)
    weights = spec['losses']
    d = spec['prior']['embedWidth']
    drop_p = spec['prior']['channelDrop']

    def step():
        # The sentence averaging matrix is rebuilt from the sentence ids every step, as medst does.
        average = np.zeros((rows, s, length), dtype=np.float32)
        for i in range(rows):
            for j in range(s):
                members = np.nonzero(sentence_ids[i] == j)[0]
                if len(members):
                    average[i, j, members] = 1 / len(members)
        average = torch.from_numpy(average)
        sent_mask = (average.sum(-1) > 0).float()
        drop = (torch.rand(rows, d, 1, 1) >= drop_p).float() / (1 - drop_p)
        optimizer.zero_grad(set_to_none=True)
        terms = model.loss_terms(frontal, ids, mask, average, sent_mask, drop)
        return optimise(model, optimizer, terms, weights, opt['clipNorm'])

    time_steps(step, model, spec, rows)


if __name__ == '__main__':
    main()
