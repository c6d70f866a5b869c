"""Shared timing loop of the PyTorch bench sides (medst_step_torch.py, prior_step_torch.py, imitate_step_torch.py, mpma_step_torch.py):
warm-up steps, timed steps, and the one JSON line the TS side reads."""
import json
import math
import resource
import time

import numpy as np
import torch


def finite_or_none(value):
    """JSON has no NaN / Infinity: the TS side reports a null as not finite."""
    return value if math.isfinite(value) else None


def read_spec(path):
    """The bench spec the TS side wrote, with torch's threads and seed set from it."""
    with open(path) as f:
        spec = json.load(f)
    torch.set_num_threads(spec['threads'])
    torch.manual_seed(spec['seed'])
    return spec


def adamw(model, spec):
    """The spec's AdamW (medst's settings) over the model's parameters."""
    opt = spec['optimizer']
    return torch.optim.AdamW(model.parameters(), lr=opt['learningRate'], betas=(opt['beta1'], opt['beta2']), eps=opt['epsilon'], weight_decay=opt['weightDecay'])


def optimise(model, optimizer, terms, weights, clip_norm):
    """The end of one training step: the weighted sum of the terms, backward, global-norm clipping, AdamW; (loss, {term: value})."""
    loss = sum(terms[name] * weights[name] for name in weights)
    loss.backward()
    value = loss.item()
    values = {name: term.item() for name, term in terms.items()}
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return value, values


def time_steps(step, model, spec, rows, extra=None):
    """Runs `step()` (→ (loss, {term: value})) spec['warmup'] times, then spec['steps'] timed times; prints the result line."""
    first_terms, last = None, float('nan')
    for _ in range(spec['warmup']):
        last, values = step()
        if first_terms is None:
            first_terms = values
    times = []
    for _ in range(spec['steps']):
        start = time.perf_counter()
        last, values = step()
        if first_terms is None:
            first_terms = values
        times.append((time.perf_counter() - start) * 1000)
    times = np.array(times)
    median = float(np.median(times))
    print(json.dumps({
        'median': median,
        'p90': float(np.percentile(times, 90)),
        'pairsPerSecond': rows * 1000 / median,
        'maxRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'parameters': sum(p.numel() for p in model.parameters() if p.requires_grad),
        'firstTerms': {name: finite_or_none(value) for name, value in first_terms.items()},
        'lastLoss': finite_or_none(last),
        'steps': spec['steps'],
        'timesMs': times.round(1).tolist(),
        **(extra or {}),
    }))
