"""Lab: the pneumonia label against the cohort's latent state (ground_truth.jsonl), on the
held-out studies (validate + test): how far the label follows the latent pneumonia, and how
far it follows what a frontal image shows (the lobar opacity of pneumonia OR consolidation,
which the renderer draws alike).

Usage: python scripts/lab/pneumonia_oracle.py COHORT_DIR
"""
import csv
import json
import sys
from pathlib import Path

from sklearn.metrics import roc_auc_score

cohort = Path(sys.argv[1])
with open(cohort / "mimic-cxr-2.0.0-chexpert.csv", newline="") as f:
    label = {r["study_id"]: 1 if r["Pneumonia"] == "1.0" else 0 for r in csv.DictReader(f)}
y, latent, opacity = [], [], []
for line in open(cohort / "ground_truth.jsonl"):
    s = json.loads(line)
    if s["split"] == "train" or "frontal" not in s:
        continue
    f = s["findings"]
    y.append(label[str(s["study_id"])])
    latent.append(f["pneumonia"]["severity"] * f["pneumonia"]["visibility"]["frontal"])
    opacity.append(max(latent[-1], f["consolidation"]["severity"] * f["consolidation"]["visibility"]["frontal"]))
print(f"held-out frontal studies {len(y)}, pneumonia label positive {sum(y)}")
print(f"AUROC of the latent pneumonia severity (visible on the frontal): {roc_auc_score(y, latent):.3f}")
print(f"AUROC of the strongest lobar opacity (pneumonia or consolidation): {roc_auc_score(y, opacity):.3f}")
