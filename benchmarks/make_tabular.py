"""Write the tabular data sets of issue 28's benchmark as CSV files under data/tabular/ (git-ignored),
each feature standardized over the whole table, then a `label` column; nothing is downloaded:

- iris, wine, breast_cancer: scikit-learn's bundled tables (150, 178 and 569 rows);
- blobs: 20,000 rows of `make_classification` (30 features, 10 informative, 4 classes, seed 0).

    python benchmarks/make_tabular.py
    ssaae bench label-efficiency --dataset data/tabular/wine.csv --labels 15 --seeds 5 --methods ...
"""

from pathlib import Path

import pandas as pd
from sklearn import datasets
from sklearn.preprocessing import StandardScaler

TABLES = {
    "iris": lambda: datasets.load_iris(return_X_y=True),
    "wine": lambda: datasets.load_wine(return_X_y=True),
    "breast_cancer": lambda: datasets.load_breast_cancer(return_X_y=True),
    "blobs": lambda: datasets.make_classification(20_000, 30, n_informative=10, n_classes=4, random_state=0),
}

folder = Path("data/tabular")
folder.mkdir(parents=True, exist_ok=True)
for name, load in TABLES.items():
    X, y = load()
    table = pd.DataFrame(StandardScaler().fit_transform(X), columns=[f"x{i}" for i in range(X.shape[1])])
    table["label"] = y
    table.to_csv(folder / f"{name}.csv", index=False)
    print(f"{folder / name}.csv: {len(table)} rows, {X.shape[1]} features, {len(set(y))} classes")
