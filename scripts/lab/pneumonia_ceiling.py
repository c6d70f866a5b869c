"""Lab: how well can ANY classifier trained on the labels tell pneumonia from the frontal
pixels of a synthetic cohort? An upper reference for zero-shot pneumonia (issue 9's 0.75),
independent of medst: scikit-learn on the cohort's JPEGs, held-out = validate + test.

Usage: python scripts/lab/pneumonia_ceiling.py COHORT_DIR [side ...]
Needs numpy, pillow, scikit-learn (pip's local index).
"""
import sys
import warnings
from pathlib import Path

from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))
from cohort_frontals import LABELS, load_frontals  # noqa: E402


def main():
    warnings.simplefilter("ignore")
    cohort = Path(sys.argv[1])
    sides = [int(s) for s in sys.argv[2:]] or [32, 64]
    for side in sides:
        images, y, held = load_frontals(cohort, side)
        x = images.reshape(len(images), -1)
        tr, te = ~held, held
        pca = PCA(n_components=min(256, side * side), random_state=0).fit(x[tr])
        for k in (64, 256):
            z = StandardScaler().fit(pca.transform(x[tr])[:, :k]).transform(pca.transform(x)[:, :k])
            for name, model in (
                ("logistic", lambda: LogisticRegressionCV(Cs=8, cv=5, max_iter=2000)),
                ("boosted trees", lambda: HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)),
            ):
                aucs = [roc_auc_score(y[te, j], model().fit(z[tr], y[tr, j]).predict_proba(z[te])[:, 1]) for j in range(len(LABELS))]
                print(f"{side}px PCA{k} {name:13s} " + ", ".join(f"{l} {a:.3f}" for l, a in zip(LABELS, aucs)) + f" | n_test {te.sum()} pos {y[te, -1].sum()}", flush=True)


if __name__ == "__main__":
    main()
