"""Print one table of several clustering results folders (benchmarks/clustering_ablation.sh's, for
one): a row per folder, method and cluster count, with the validation and test error by the
paper's protocol, NMI, epochs and minutes per run, as Markdown.

    python benchmarks/ablation_table.py benchmarks/results/mnist-ablation-bf16-*
"""

import sys
from pathlib import Path

from ssaae.bench.clustering import summarize
from ssaae.bench.tables import metric_cell

COLUMNS = {"validation_error": ("validation error, %", 2), "test_error": ("test error, %", 2),
           "normalized_mutual_info": ("NMI", 3)}  # metric: (heading, decimals)


def main(folders):
    print("| folder | method | clusters | " + " | ".join(heading for heading, _ in COLUMNS.values()) + " | epochs | minutes a run |")
    print("| --- | --- | --- |" + " --- |" * len(COLUMNS) + " --- | --- |")
    for folder in map(Path, folders):
        for record in summarize(folder / "runs.csv").to_dict("records"):
            cells = [metric_cell(metric, decimals)(record) for metric, (_, decimals) in COLUMNS.items()]
            print(f"| {folder.name} | {record['method']} | {record['clusters']} | " + " | ".join(cells)
                  + f" | {record['epochs']} | {record['minutes_mean']:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
