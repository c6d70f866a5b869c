"""Lab helper for the Python scripts: a synthetic (or real-layout) cohort's frontal images
with six labels (five competition labels and Pneumonia; 1 only for an explicit 1.0) and the
held-out flag (validate + test), read from the MIMIC-CXR-JPG CSVs and JPEGs."""
import csv
from pathlib import Path

import numpy as np
from PIL import Image

LABELS = ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion", "Pneumonia"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load_frontals(cohort: Path, side: int):
    """Images box-resized to side × side in [−1, 1] [N, side, side], labels [N, 6], held-out [N]."""
    split = {r["dicom_id"]: r["split"] for r in read_csv(cohort / "mimic-cxr-2.0.0-split.csv")}
    labels = {r["study_id"]: r for r in read_csv(cohort / "mimic-cxr-2.0.0-chexpert.csv")}
    xs, ys, held = [], [], []
    for r in read_csv(cohort / "mimic-cxr-2.0.0-metadata.csv"):
        if r["ViewPosition"] not in ("PA", "AP"):
            continue
        subject, study = r["subject_id"], r["study_id"]
        jpg = cohort / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{r['dicom_id']}.jpg"
        image = Image.open(jpg).convert("L").resize((side, side), Image.BOX)
        xs.append(np.asarray(image, dtype=np.float32) / 127.5 - 1)
        ys.append([1 if labels[study][l] == "1.0" else 0 for l in LABELS])
        held.append(split[r["dicom_id"]] != "train")
    return np.stack(xs), np.array(ys), np.array(held)
