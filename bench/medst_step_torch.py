"""PyTorch side of the `medst-step` bench: an independent implementation of
the same Med-ST architecture, batch and losses as lib/methods/medst.ts, timed
over full training steps.

    python bench/medst_step_torch.py SPEC.json

SPEC.json is written by bench/medst_step.ts: the resolved ViT / BERT / head
configs (the ViT's with the conv or VGG stem's stage widths, `stemChannels`),
temperatures, the token rows (ids, attention mask, word ids), lateral presence,
optimiser settings, warm-up and timed step counts, thread count.

Model: ViT with Mixture of View Experts (shared patch embedding and attention,
frontal and lateral MLP experts, absent lateral keys masked); the patch
embedding is timm's (conv k = stride = patch) for `stem: 'patch'`, or for
`stem: 'conv'` per stage `stemConvsPerStage` 3x3 convolutions (the first stride
2, TensorFlow 'same' padding; optional LayerNorm over the channels; ReLU) then a
1x1 projection, or for `stem: 'vgg'` per stage `stemConvsPerStage` x (3x3 conv,
BatchNorm, ReLU) and a 2x2 max-pool then the same 1x1 projection; the global feature is the CLS token (`pool: 'cls'`) or the mean
of the frontal patch tokens after the final norm (`pool: 'mean'`). BERT (post-LN)
with word aggregation, global/local projection heads with BatchNorm (local
BatchNorm statistics over real tokens only), global contrastive loss,
modality-weighted local alignment (two 1-head weighting layers, masks), FMC and
RMR in both directions. Step: forward, weighted sum, backward,
clip_grad_norm_, AdamW, loss read back. Attention uses
F.scaled_dot_product_attention (what timm's ViT uses).

Prints one JSON line: {"median", "p90", "pairsPerSecond", "maxRssMiB",
"parameters", "firstTerms" (the loss terms of the first step), ...} (times in ms).
"""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import adamw, read_spec, time_steps

MASKED = -1e9


def trunc_normal_(t, std):
    nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


class Mlp(nn.Module):
    def __init__(self, dim, hidden, std):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        for fc in (self.fc1, self.fc2):
            trunc_normal_(fc.weight, std)
            nn.init.zeros_(fc.bias)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, heads, std):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        for fc in (self.qkv, self.proj):
            trunc_normal_(fc.weight, std)
            nn.init.zeros_(fc.bias)

    def forward(self, x, key_bias):
        """x [B, N, D]; key_bias [B, 1, 1, N] additive (0 / -1e9) or None."""
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # [B, H, N, Dh]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=key_bias)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class ViewExpertBlock(nn.Module):
    def __init__(self, dim, heads, hidden, eps, std, view_experts):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, std)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, hidden, std)
        if view_experts:
            self.norm2_l = nn.LayerNorm(dim, eps=eps)
            self.mlp_l = Mlp(dim, hidden, std)

    def forward(self, x, frontal_tokens, key_bias):
        """x [B, 1+n(+n), D]: CLS and frontal patches, then lateral patches."""
        x = x + self.attn(self.norm1(x), key_bias)
        if frontal_tokens == x.shape[1]:
            return x + self.mlp(self.norm2(x))
        f, l = x[:, :frontal_tokens], x[:, frontal_tokens:]
        f = f + self.mlp(self.norm2(f))
        l = l + self.mlp_l(self.norm2_l(l))
        return torch.cat([f, l], 1)


def tf_same_padding(size, kernel, stride):
    """(before, after) padding of TensorFlow's 'same' along one side: the odd pixel goes after (bottom / right)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class ConvStem(nn.Module):
    """Xiao et al. 2021 stem as lib/models/vit.ts builds it: per stage `stemConvsPerStage` 3x3 convs
    (the first stride 2 with TF 'same' padding, the rest stride 1), bias, optional LayerNorm over the
    channels at each position, ReLU; then a 1x1 projection with bias to the width (no activation)."""

    def __init__(self, c):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        channels = c['inChannels']
        for out in c['stemChannels']:
            for j in range(c['stemConvsPerStage']):
                stride = 2 if j == 0 else 1
                conv = nn.Conv2d(channels, out, 3, stride=stride, padding=0 if stride == 2 else 1)
                nn.init.kaiming_normal_(conv.weight, mode='fan_in', nonlinearity='relu')  # He normal, fan-in 9·C
                nn.init.zeros_(conv.bias)
                self.convs.append(conv)
                self.norms.append(nn.LayerNorm(out, eps=c['layerNormEps']) if c['stemNorm'] else nn.Identity())
                channels = out
        self.proj = nn.Conv2d(channels, c['width'], 1)
        bound = 1 / math.sqrt(channels)
        nn.init.uniform_(self.proj.weight, -bound, bound)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        for conv, norm in zip(self.convs, self.norms):
            if conv.stride[0] == 2:
                top, bottom = tf_same_padding(x.shape[2], 3, 2)
                left, right = tf_same_padding(x.shape[3], 3, 2)
                x = F.pad(x, (left, right, top, bottom))  # even side: (0, 1, 0, 1)
            x = conv(x)
            if not isinstance(norm, nn.Identity):
                x = norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # LayerNorm over channels, per position
            x = F.relu(x)
        return self.proj(x)


class VggStem(nn.Module):
    """The `vgg` stem as lib/models/vgg_stem.ts builds it: per stage `stemConvsPerStage` x (3x3 conv
    without bias, BatchNorm, ReLU) then a 2x2 max-pool, stage widths `stemChannels`; then the same
    1x1 projection with bias to the width as the conv stem."""

    def __init__(self, c):
        super().__init__()
        layers, channels = [], c['inChannels']
        for out in c['stemChannels']:
            for _ in range(c['stemConvsPerStage']):
                conv = nn.Conv2d(channels, out, 3, padding=1, bias=False)
                nn.init.kaiming_normal_(conv.weight, mode='fan_in', nonlinearity='relu')
                layers += [conv, nn.BatchNorm2d(out), nn.ReLU()]
                channels = out
            layers.append(nn.MaxPool2d(2))
        self.body = nn.Sequential(*layers)
        self.proj = nn.Conv2d(channels, c['width'], 1)
        bound = 1 / math.sqrt(channels)
        nn.init.uniform_(self.proj.weight, -bound, bound)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        return self.proj(self.body(x))


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, p = c['width'], c['patchSize']
        self.n = (c['imageSize'] // p) ** 2
        if c['stem'] == 'conv':
            assert len(c['stemChannels']) == round(math.log2(p)), 'the conv stem has log2(patchSize) stages'
            self.patch_embed = ConvStem(c)
        elif c['stem'] == 'vgg':
            assert len(c['stemChannels']) == round(math.log2(p)), 'the vgg stem has log2(patchSize) stages'
            self.patch_embed = VggStem(c)
        elif c['stem'] == 'patch':
            self.patch_embed = nn.Conv2d(c['inChannels'], w, p, stride=p)
        else:
            raise ValueError(f"unknown stem {c['stem']!r}")
        if c['pool'] not in ('cls', 'mean'):
            raise ValueError(f"unknown pool {c['pool']!r}")
        self.pool = c['pool']
        self.cls_token = nn.Parameter(torch.zeros(1, 1, w))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.n, w))
        trunc_normal_(self.cls_token, 1e-6)
        trunc_normal_(self.pos_embed, c['initStd'])
        hidden = round(w * c['mlpRatio'])
        self.blocks = nn.ModuleList(
            ViewExpertBlock(w, c['heads'], hidden, c['layerNormEps'], c['initStd'], c['viewExperts']) for _ in range(c['depth'])
        )
        self.norm = nn.LayerNorm(w, eps=c['layerNormEps'])

    def forward(self, frontal, lateral, present):
        """frontal, lateral [B, C, S, S]; present [B] 0/1 → global [B, W], local [B, 2n, W], mask [B, 2n]."""
        b = frontal.shape[0]
        n = self.n
        patches = self.patch_embed(torch.cat([frontal, lateral], 0)).flatten(2).transpose(1, 2)  # [2B, n, W]
        patch_pos = self.pos_embed[:, 1:]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, patches[:b] + patch_pos, patches[b:] + patch_pos], 1)  # [B, 1+2n, W]
        lateral_mask = present[:, None].expand(b, n)
        key_mask = torch.cat([torch.ones(b, 1 + n), lateral_mask], 1)  # [B, 1+2n]
        key_bias = ((1 - key_mask) * MASKED)[:, None, None, :]
        for block in self.blocks:
            x = block(x, 1 + n, key_bias)
        x = self.norm(x)
        local_mask = torch.cat([torch.ones(b, n), lateral_mask], 1)
        pooled = x[:, 1 : 1 + n].mean(1) if self.pool == 'mean' else x[:, 0]  # 'mean': frontal patch tokens only
        return pooled, x[:, 1:], local_mask


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, eps, std = c['width'], c['layerNormEps'], c['initStd']
        self.heads = c['heads']
        self.word_embeddings = nn.Embedding(c['vocabSize'], w)
        self.position_embeddings = nn.Embedding(c['maxPositions'], w)
        self.token_type_embeddings = nn.Embedding(c['typeVocabSize'], w)
        for e in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            trunc_normal_(e.weight, std)
        self.embedding_norm = nn.LayerNorm(w, eps=eps)
        self.layers = nn.ModuleList()
        for _ in range(c['layers']):
            layer = nn.Module()
            layer.attn = Attention(w, c['heads'], std)
            layer.norm1 = nn.LayerNorm(w, eps=eps)
            layer.mlp = Mlp(w, c['intermediateSize'], std)
            layer.norm2 = nn.LayerNorm(w, eps=eps)
            self.layers.append(layer)

    def forward(self, ids, attention_mask):
        """ids, attention_mask [B, L] → hidden [B, L, W]."""
        length = ids.shape[1]
        x = self.word_embeddings(ids) + self.position_embeddings.weight[:length] + self.token_type_embeddings.weight[0]
        x = self.embedding_norm(x)
        key_bias = ((1 - attention_mask.float()) * MASKED)[:, None, None, :]
        for layer in self.layers:
            h = layer.norm1(x + layer.attn(x, key_bias))
            x = layer.norm2(h + layer.mlp(h))
        return x


def word_aggregation(word_ids, attention_mask):
    """Segment matrix [B, L-1, L] and mask [B, L-1] (numpy): pieces of a word summed; [SEP] kept; padding zero."""
    b, length = word_ids.shape
    matrix = np.zeros((b, length - 1, length), np.float32)
    mask = np.zeros((b, length - 1), np.float32)
    for r in range(b):
        count, current = 0, None
        for t in range(1, length):
            if not attention_mask[r, t]:
                break
            wid = word_ids[r, t]
            if wid < 0:
                matrix[r, count, t] = 1
                mask[r, count] = 1
                count += 1
                break
            if wid != current:
                current = wid
                count += 1
            matrix[r, count - 1, t] = 1
            mask[r, count - 1] = 1
    return torch.from_numpy(matrix), torch.from_numpy(mask)


class MaskedBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d whose training statistics count only rows with mask 1 (every row is normalised)."""

    def forward(self, x, mask=None):
        if not self.training or mask is None:
            return super().forward(x)
        m = mask[:, None]
        count = m.sum()
        mean = (x * m).sum(0) / count
        var = ((x - mean) ** 2 * m).sum(0) / count
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(mean * self.momentum)
            self.running_var.mul_(1 - self.momentum).add_(var * count / (count - 1) * self.momentum)
            self.num_batches_tracked += 1
        y = (x - mean) * torch.rsqrt(var + self.eps)
        return y * self.weight + self.bias if self.affine else y


class ProjectionHead(nn.Module):
    """Linear → BN → ReLU → Linear → BN(no affine) → L2 norm; per token for [B, P, W] (masked statistics)."""

    def __init__(self, width, hidden, out, eps, momentum):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.bn1 = MaskedBatchNorm(hidden, eps=eps, momentum=momentum)
        self.fc2 = nn.Linear(hidden, out)
        self.bn2 = MaskedBatchNorm(out, eps=eps, momentum=momentum, affine=False)

    def forward(self, x, mask=None):
        lead = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1])
        flat_mask = None if mask is None else mask.reshape(-1)
        h = F.relu(self.bn1(self.fc1(flat), flat_mask))
        y = F.normalize(self.bn2(self.fc2(h), flat_mask), dim=-1)
        if flat_mask is not None:
            y = y * flat_mask[:, None]
        return y.reshape(*lead, -1)


class WeightingLayer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        bound = math.sqrt(6 / (4 * d))
        for fc in (self.query, self.key):
            nn.init.uniform_(fc.weight, -bound, bound)
            nn.init.zeros_(fc.bias)

    def forward(self, tokens, keep):
        """tokens [B, N, d], keep [B, N] bool → weights [B, N] summing to 1 over kept tokens."""
        keep_f = keep.float()
        count = keep_f.sum(1, keepdim=True).clamp_min(1)
        query = (tokens * keep_f[..., None]).sum(1) / count
        scores = torch.einsum('bnd,bd->bn', self.key(tokens), self.query(query)) / math.sqrt(tokens.shape[-1])
        weights = torch.softmax(scores.masked_fill(~keep, MASKED), -1) * keep_f
        return weights / weights.sum(1, keepdim=True).clamp_min(1e-6)


def diagonal_ce(logits, keep):
    """logits [B, N, N], keep [B, N] bool → [B, N]: -log softmax over kept classes at the diagonal (0 for masked rows)."""
    log_prob = torch.log_softmax(logits.masked_fill(~keep[:, None, :], MASKED), -1)
    return torch.where(keep, -torch.diagonal(log_prob, dim1=1, dim2=2), torch.zeros(()))


def weighted_symmetric(sim, keep, weight, valid):
    per = (weight * (diagonal_ce(sim, keep) + diagonal_ce(sim.transpose(1, 2), keep))).sum(1) * valid
    return per.mean() * 0.5


def local_alignment(words, patches, word_mask, patch_mask, layers, tau):
    wk, pk = word_mask > 0.5, patch_mask > 0.5
    w2p = torch.softmax((words @ patches.transpose(1, 2) / tau).masked_fill(~pk[:, None, :], MASKED), -1)
    word_ctx = F.normalize(w2p @ patches, dim=-1)
    word_sim = words @ word_ctx.transpose(1, 2) / tau
    alpha = layers['word'](F.normalize(words * word_ctx, dim=-1), wk)
    valid = (wk.any(1) & pk.any(1)).float()
    word_loss = weighted_symmetric(word_sim, wk, alpha, valid)
    p2w = torch.softmax((patches @ words.transpose(1, 2) / tau).masked_fill(~wk[:, None, :], MASKED), -1)
    patch_ctx = p2w @ words
    patch_sim = patches @ patch_ctx.transpose(1, 2) / tau
    beta = layers['patch'](F.normalize(patches * patch_ctx, dim=-1), pk)
    patch_loss = weighted_symmetric(patch_sim, pk, beta, valid)
    return word_loss + patch_loss


def global_contrastive(image, text, tau):
    logits = F.normalize(image, dim=-1) @ F.normalize(text, dim=-1).T / tau
    target = torch.arange(logits.shape[0])
    return F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)


def sq_dist(x, y):
    return ((x[:, :, None] - y[:, None, :]) ** 2).sum(-1)  # [S, T, T]


def fmc(u, v, tau):
    logits = -sq_dist(u, v) / tau
    s, t = logits.shape[:2]
    return F.cross_entropy(logits.reshape(s * t, t), torch.arange(t).repeat(s))


def rmr(u, v, tau, lam):
    t = u.shape[1]
    neighbours = torch.softmax(-sq_dist(u, v) / tau, -1) @ v
    beta = torch.softmax(-sq_dist(neighbours, u) / tau, -1)
    time_index = torch.arange(t, dtype=torch.float32) / t
    mu = (beta * time_index).sum(-1)
    var = (beta * (time_index - mu[..., None]) ** 2).sum(-1) + 1e-7
    return ((time_index - mu) ** 2 / var + lam * torch.log(var)).mean()


class MedST(nn.Module):
    def __init__(self, spec):
        super().__init__()
        head = spec['head']
        self.image = VisionTransformer(spec['vision'])
        self.text = BertEncoder(spec['text'])
        mk = lambda width: ProjectionHead(width, head['hiddenWidth'], head['outputWidth'], head['bnEps'], head['bnMomentum'])
        self.image_global_head = mk(spec['vision']['width'])
        self.image_local_head = mk(spec['vision']['width'])
        self.text_global_head = mk(spec['text']['width'])
        self.text_local_head = mk(spec['text']['width'])
        self.weighting = nn.ModuleDict({'word': WeightingLayer(head['outputWidth']), 'patch': WeightingLayer(head['outputWidth'])})
        self.temps = spec['temperatures']
        self.lam = spec['varianceLambda']

    def loss_terms(self, frontal, lateral, present, ids, attention_mask, segments, word_mask, chunks, chunk_length):
        img_global, img_local, patch_mask = self.image(frontal, lateral, present)
        hidden = self.text(ids, attention_mask)
        words = segments @ hidden  # [B, L-1, W]
        v = self.image_global_head(img_global)
        p = self.image_local_head(img_local, patch_mask)
        t = self.text_global_head(hidden[:, 0])
        w = self.text_local_head(words, word_mask)
        terms = {
            'global': global_contrastive(v, t, self.temps['global']),
            'local': local_alignment(w, p, word_mask, patch_mask, self.weighting, self.temps['local']),
        }
        d = v.shape[1]
        u_seq = v[: chunks * chunk_length].reshape(chunks, chunk_length, d)
        v_seq = t[: chunks * chunk_length].reshape(chunks, chunk_length, d)
        tau = self.temps['temporal']
        terms['fmc'] = fmc(u_seq, v_seq, tau) + fmc(v_seq, u_seq, tau)
        terms['rmr'] = rmr(u_seq, v_seq, tau, self.lam) + rmr(v_seq, u_seq, tau, self.lam)
        return terms


def main():
    spec = read_spec(sys.argv[1])
    batch = spec['batch']
    rows, length = batch['rows'], batch['maxTokens']
    vis = spec['vision']
    size, channels = vis['imageSize'], vis['inChannels']
    gen = torch.Generator().manual_seed(spec['seed'])
    present = torch.tensor(batch['lateralPresent'], dtype=torch.float32)
    frontal = torch.rand(rows, channels, size, size, generator=gen) * 2 - 1
    lateral = (torch.rand(rows, channels, size, size, generator=gen) * 2 - 1) * present[:, None, None, None]
    ids = torch.tensor(batch['inputIds'], dtype=torch.long).reshape(rows, length)
    attention_mask = torch.tensor(batch['attentionMask'], dtype=torch.long).reshape(rows, length)
    word_ids = np.array(batch['wordIds'], dtype=np.int64).reshape(rows, length)

    model = MedST(spec)
    model.train()
    opt = spec['optimizer']
    optimizer = adamw(model, spec)
    weights = spec['losses']

    def step():
        # Word aggregation is rebuilt from the word ids every step, as medst does.
        segments, word_mask = word_aggregation(word_ids, attention_mask.numpy())
        optimizer.zero_grad(set_to_none=True)
        terms = model.loss_terms(frontal, lateral, present, ids, attention_mask, segments, word_mask, batch['chunks'], batch['chunkLength'])
        loss = sum(terms[name] * weights[name] for name in ('global', 'local', 'fmc', 'rmr'))
        loss.backward()
        value = loss.item()
        values = {name: term.item() for name, term in terms.items()}
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt['clipNorm'])
        optimizer.step()
        return value, values

    time_steps(step, model, spec, rows, {'attention': 'F.scaled_dot_product_attention'})


if __name__ == '__main__':
    main()
