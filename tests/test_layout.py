"""The package's layering: the library never loads the benchmarks."""

import subprocess
import sys
from pathlib import Path

LIBRARY = sorted(f"ssaae.{path.stem}" for path in (Path(__file__).parents[1] / "ssaae").glob("*.py")
                 if path.stem not in ("__init__", "__main__"))  # __main__ runs the command


def test_no_library_module_imports_the_benchmarks():
    code = f"import sys, ssaae, {', '.join(LIBRARY)}; print(sorted(m for m in sys.modules if m.startswith('ssaae.bench')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "ssaae.cli" in LIBRARY and loaded.strip() == "[]"


def test_the_ssaae_command_loads_the_benchmarks_only_for_bench():
    code = ("import sys; from ssaae.cli import main; main({}, standalone_mode=False); "
            "print(any(m.startswith('ssaae.bench') for m in sys.modules))")
    for args, loaded in ((["datasets"], "False"), (["bench", "--help"], "True")):
        output = subprocess.run([sys.executable, "-c", code.format(args)], capture_output=True, text=True, check=True)
        assert output.stdout.splitlines()[-1] == loaded
