"""Lab: the PyTorch side of step_dynamics.ts. The bench's PyTorch Med-ST (bench/medst_step_torch.py)
on the bench spec's batch shape, from init seed SEED: per-group gradient norms at init, then loss,
terms and gradient norm over 11 steps of AdamW with global-norm clipping (lab notebook §33).

    .venv-bench/bin/python scripts/lab/step_dynamics_torch.py SPEC.json SEED
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import medst_step_torch as medst  # noqa: E402
from torch_timing import adamw, read_spec  # noqa: E402

STEPS = 11
spec = read_spec(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
batch = spec['batch']
rows, length = batch['rows'], batch['maxTokens']
size, channels = spec['vision']['imageSize'], spec['vision']['inChannels']
gen = torch.Generator().manual_seed(spec['seed'])  # the bench's images
present = torch.tensor(batch['lateralPresent'], dtype=torch.float32)
frontal = torch.rand(rows, channels, size, size, generator=gen) * 2 - 1
lateral = (torch.rand(rows, channels, size, size, generator=gen) * 2 - 1) * present[:, None, None, None]
ids = torch.tensor(batch['inputIds']).reshape(rows, length)
attention = torch.tensor(batch['attentionMask']).reshape(rows, length)
segments, word_mask = medst.word_aggregation(np.array(batch['wordIds']).reshape(rows, length), attention.numpy())
torch.manual_seed(seed)  # the init
model = medst.MedST(spec)
model.train()


def total_loss():
    terms = model.loss_terms(frontal, lateral, present, ids, attention, segments, word_mask, batch['chunks'], batch['chunkLength'])
    return sum(terms.values()), terms


loss, _ = total_loss()
loss.backward()
squares = {}
for name, p in model.named_parameters():
    parts = name.split('.')
    group = '.'.join(parts[:3] if name.startswith('image.patch_embed') else parts[:2])
    squares[group] = squares.get(group, 0.0) + (p.grad.pow(2).sum().item() if p.grad is not None else 0.0)
grad_norms = {group: float('%.4g' % s ** 0.5) for group, s in squares.items()}
init_loss = loss.item()
optimizer = adamw(model, spec)
steps = []
for _ in range(STEPS):
    optimizer.zero_grad(set_to_none=True)
    loss, terms = total_loss()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), spec['optimizer']['clipNorm'])
    optimizer.step()
    steps.append({'loss': round(loss.item(), 3), 'terms': {k: round(v.item(), 3) for k, v in terms.items()}, 'gradNorm': round(norm.item(), 2)})
print('RESULT ' + json.dumps({'side': 'pytorch', 'seed': seed, 'initLoss': init_loss, 'gradNorms': grad_norms, 'steps': steps}))
