"""Screen SemiSupervisedAAEClassifier settings on small data sets: the mean ± std validation error
over seeds 0-4, each seed with the labeled subset `ssaae bench label-efficiency` draws for it
(the same splits), one line per setting. For quick screens of defaults (benchmarks/HISTORY.md);
the tables come from benchmarks/make_tabular.py.

    python benchmarks/screen_defaults.py '{"consistency_radius": 2.0}' iris:15 wine:15 digits:50
"""

import json
import sys
import time

import numpy as np

from ssaae import SemiSupervisedAAEClassifier
from ssaae.bench.data import benchmark_dataset
from ssaae.datasets import make_semisupervised

settings, cells = json.loads(sys.argv[1]), []
for table in sys.argv[2:] or ["iris:15", "wine:15", "breast_cancer:20"]:
    name, labels = table.split(":")
    data = benchmark_dataset(name if name == "digits" else f"data/tabular/{name}.csv")
    errors, start = [], time.time()
    for seed in range(5):
        y = make_semisupervised(data.y_train, int(labels), random_state=seed)
        model = SemiSupervisedAAEClassifier(random_state=seed, **settings).fit(data.X_train, y)
        errors.append(100 * (1 - model.score(data.X_val, data.y_val)))
    cells.append(f"{name} {np.mean(errors):.2f} ± {np.std(errors, ddof=1):.2f} (5), {(time.time() - start) / 5:.0f} s a run")
print(json.dumps(settings), " | ".join(cells), flush=True)
