"""PyTorch side of the `mpma-step` bench: an independent implementation of the
same MPMA architecture, batch, masks and losses as lib/methods/mpma.ts, timed
over full training steps.

    python bench/mpma_step_torch.py SPEC.json

SPEC.json is written by bench/mpma_step.ts: the resolved ViT (with the conv
stem's stage widths) and BERT configs, MPMA's own numbers (heads, fusion,
decoder depth, pixel normalisation, temperatures), the token rows with word
ids, and every step's masks drawn by medst (visible patch indices, patch mask,
masked token ids, MLM labels), loss weights, optimiser settings, warm-up and
timed step counts, thread count.

Model: the ViT, BERT, projection heads, weighting layers and GLA losses of
medst_step_torch.py (frontal view only); the visible-patch encoding after
zeroing the masked pixels; cross-modal fusion as post-norm
nn.MultiheadAttention layers with learnable memory slots appended to the keys;
BERT's MLM head; MAE's decoder with the masked tokens put back by scatter and a
fusion step over the masked report. Step: forward, weighted sum, backward,
clip_grad_norm_, AdamW, loss read back.

Prints one JSON line (times in ms), as the other bench sides.
"""
import itertools
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from medst_step_torch import (BertEncoder, Mlp, ProjectionHead, ViewExpertBlock, VisionTransformer, WeightingLayer,
                              global_contrastive, local_alignment, trunc_normal_, word_aggregation)
from torch_timing import adamw, optimise, read_spec, time_steps


def linear(cin, cout, std=None):
    """nn.Linear with a zero bias; truncated-normal weights when `std` is given (medst's createLinear)."""
    fc = nn.Linear(cin, cout)
    if std is not None:
        trunc_normal_(fc.weight, std)
    nn.init.zeros_(fc.bias)
    return fc


def encode(vit, images, visible=None):
    """medst_step_torch's ViT on one view: (CLS [B, W], patch tokens [B, n or keep, W]); only the `visible` [B, keep] patches when given."""
    x = vit.patch_embed(images).flatten(2).transpose(1, 2) + vit.pos_embed[:, 1:]
    if visible is not None:
        x = torch.gather(x, 1, visible[..., None].expand(-1, -1, x.shape[2]))
    x = torch.cat([(vit.cls_token + vit.pos_embed[:, :1]).expand(x.shape[0], -1, -1), x], 1)
    for block in vit.blocks:
        x = block(x, x.shape[1], None)
    x = vit.norm(x)
    return x[:, 0], x[:, 1:]


class Fusion(nn.Module):
    """Post-norm cross-attention layers; M memory slots appended to the keys (always attended)."""

    def __init__(self, f, eps):
        super().__init__()
        w = f['width']
        self.memory = nn.Parameter(torch.empty(1, f['memorySlots'], w)) if f['memorySlots'] > 0 else None
        if self.memory is not None:
            trunc_normal_(self.memory, 0.02)
        self.attn = nn.ModuleList(nn.MultiheadAttention(w, f['heads'], batch_first=True) for _ in range(f['layers']))
        self.mlp = nn.ModuleList(Mlp(w, f['mlpHidden'], 0.02) for _ in range(f['layers']))
        self.norm1 = nn.ModuleList(nn.LayerNorm(w, eps=eps) for _ in range(f['layers']))
        self.norm2 = nn.ModuleList(nn.LayerNorm(w, eps=eps) for _ in range(f['layers']))

    def forward(self, x, context, context_mask=None):
        """x [B, Nq, W]; context [B, Nk, W]; context_mask [B, Nk] 1 = attend, or None."""
        keys = context
        ignore = None if context_mask is None else context_mask < 0.5
        if self.memory is not None:
            keys = torch.cat([context, self.memory.expand(x.shape[0], -1, -1)], 1)
            if ignore is not None:
                ignore = torch.cat([ignore, torch.zeros(x.shape[0], self.memory.shape[1], dtype=torch.bool)], 1)
        for attn, mlp, norm1, norm2 in zip(self.attn, self.mlp, self.norm1, self.norm2):
            x = norm1(x + attn(x, keys, keys, key_padding_mask=ignore, need_weights=False)[0])
            x = norm2(x + mlp(x))
        return x


class PixelDecoder(nn.Module):
    def __init__(self, vw, patches, patch_pixels, f, depth, eps):
        super().__init__()
        w = f['width']
        self.embed = linear(vw, w, 0.02)
        self.mask_token = nn.Parameter(torch.empty(1, 1, w))
        self.pos_embed = nn.Parameter(torch.empty(1, patches, w))
        trunc_normal_(self.mask_token, 0.02)
        trunc_normal_(self.pos_embed, 0.02)
        self.fusion = Fusion({**f, 'memorySlots': 0}, eps)
        self.blocks = nn.ModuleList(ViewExpertBlock(w, f['heads'], f['mlpHidden'], eps, 0.02, False) for _ in range(depth))
        self.norm = nn.LayerNorm(w, eps=eps)
        self.predict = linear(w, patch_pixels, 0.02)

    def forward(self, tokens, visible, text, text_mask):
        """tokens [B, keep, Wv] at `visible` [B, keep]; text [B, L, F] → [B, P, p²]."""
        x = self.mask_token.expand(tokens.shape[0], self.pos_embed.shape[1], -1)
        x = x.scatter(1, visible[..., None].expand(-1, -1, x.shape[2]), self.embed(tokens)) + self.pos_embed
        x = self.fusion(x, text, text_mask)
        for block in self.blocks:
            x = block(x, x.shape[1], None)
        return self.predict(self.norm(x))


def patchify(images, p):
    """[B, 1, C, C] → [B, P, p²] raster-order patches."""
    b, _, c, _ = images.shape
    g = c // p
    return images.reshape(b, g, p, g, p).permute(0, 1, 3, 2, 4).reshape(b, g * g, p * p)


def masked_patch_loss(pred, target, mask, normalise):
    if normalise:
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
    per_patch = ((pred - target) ** 2).mean(-1)
    return (per_patch * mask).sum() / mask.sum().clamp_min(1)


class Mpma(nn.Module):
    def __init__(self, spec):
        super().__init__()
        m, vis, txt = spec['mpma'], spec['vision'], spec['text']
        head, f = m['head'], m['fusion']
        vw, tw, w = vis['width'], txt['width'], f['width']
        self.image = VisionTransformer(vis)
        self.text = BertEncoder(txt)
        mk = lambda width: ProjectionHead(width, head['hiddenWidth'], head['outputWidth'], head['bnEps'], head['bnMomentum'])
        self.image_global_head, self.image_local_head = mk(vw), mk(vw)
        self.text_global_head, self.text_local_head = mk(tw), mk(tw)
        self.weighting = nn.ModuleDict({'word': WeightingLayer(head['outputWidth']), 'patch': WeightingLayer(head['outputWidth'])})
        self.visual_to_fusion = linear(vw, w, 0.02)
        self.text_to_fusion = linear(tw, w, 0.02)
        self.text_fusion = Fusion(f, 1e-6)
        self.mlm_head = nn.Sequential(linear(w, w, 0.02), nn.GELU(), nn.LayerNorm(w, eps=1e-12), linear(w, txt['vocabSize'], 0.02))
        p = vis['patchSize']
        self.pixel_decoder = PixelDecoder(vw, self.image.n, p * p * vis['inChannels'], f, m['decoderDepth'], 1e-6)
        self.patch = p
        self.temps = m['temperatures']
        self.normalise = m['normalisePixels']

    def loss_terms(self, frontal, ids, attention_mask, segments, word_mask, masks):
        # GLA on whole images and unmasked reports.
        pooled, patches = encode(self.image, frontal)
        hidden = self.text(ids, attention_mask)
        v, t = self.image_global_head(pooled), self.text_global_head(hidden[:, 0])
        p = self.image_local_head(patches)
        w = self.text_local_head(segments @ hidden, word_mask)
        patch_mask = torch.ones(p.shape[:2])
        terms = {
            'global': global_contrastive(v, t, self.temps['global']),
            'local': local_alignment(w, p, word_mask, patch_mask, self.weighting, self.temps['local']),
        }
        # Masked pair: masked pixels zeroed before the stem, visible patches encoded.
        keep = (1 - masks['patchMask'])[:, None]  # [B, 1, g, g]
        hidden_images = frontal * keep.repeat_interleave(self.patch, 2).repeat_interleave(self.patch, 3)
        _, visual = encode(self.image, hidden_images, masks['visible'])
        text_tokens = self.text_to_fusion(self.text(masks['inputIds'], attention_mask))
        logits = self.mlm_head(self.text_fusion(text_tokens, self.visual_to_fusion(visual)))
        terms['mlm'] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), masks['labels'].reshape(-1), ignore_index=-1)
        pixels = self.pixel_decoder(visual, masks['visible'], text_tokens, attention_mask.float())
        terms['mim'] = masked_patch_loss(pixels, patchify(frontal, self.patch), masks['patchMask'].flatten(1), self.normalise)
        return terms


def step_masks(rows, length, grid, raw):
    """One step's masks as tensors: visible [B, keep], patchMask [B, g, g], inputIds and labels [B, L]."""
    return {
        'visible': torch.tensor(raw['visible'], dtype=torch.long).reshape(rows, -1),
        'patchMask': torch.tensor(raw['patchMask'], dtype=torch.float32).reshape(rows, grid, grid),
        'inputIds': torch.tensor(raw['inputIds'], dtype=torch.long).reshape(rows, length),
        'labels': torch.tensor(raw['labels'], dtype=torch.long).reshape(rows, length),
    }


def main():
    spec = read_spec(sys.argv[1])
    batch = spec['batch']
    rows, length = batch['rows'], batch['maxTokens']
    vis = spec['vision']
    size = vis['imageSize']
    gen = torch.Generator().manual_seed(spec['seed'])
    frontal = torch.rand(rows, vis['inChannels'], size, size, generator=gen) * 2 - 1
    ids = torch.tensor(batch['inputIds'], dtype=torch.long).reshape(rows, length)
    attention_mask = torch.tensor(batch['attentionMask'], dtype=torch.long).reshape(rows, length)
    word_ids = torch.tensor(batch['wordIds'], dtype=torch.long).reshape(rows, length).numpy()
    # Step i takes medst's masks of step i (the list covers every step).
    masks = itertools.cycle([step_masks(rows, length, size // vis['patchSize'], raw) for raw in batch['masks']])

    model = Mpma(spec)
    model.train()
    opt = spec['optimizer']
    optimizer = adamw(model, spec)
    weights = spec['losses']

    def step():
        # Word aggregation is rebuilt every step, as medst does.
        segments, word_mask = word_aggregation(word_ids, attention_mask.numpy())
        optimizer.zero_grad(set_to_none=True)
        terms = model.loss_terms(frontal, ids, attention_mask, segments, word_mask, next(masks))
        return optimise(model, optimizer, terms, weights, opt['clipNorm'])

    time_steps(step, model, spec, rows)


if __name__ == '__main__':
    main()
