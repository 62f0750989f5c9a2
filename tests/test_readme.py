"""The README's examples run as written, so the docs cannot rot."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_python_example_runs_and_prints_a_test_error(capsys):
    code = re.search(r"```python\n(.*?)```", README, re.DOTALL).group(1)
    exec(code, {})  # noqa: S102 -- running the README is the point
    error = float(re.search(r"test error ([0-9.]+)", capsys.readouterr().out).group(1))
    assert 0 <= error < 0.5


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"```bash\n(pip install .*pytest.*)\n```", README).group(1)
    assert test_command in (ROOT / ".ci/run").read_text()


def test_cli_help_lists_the_commands_the_readme_uses():
    commands = set(re.findall(r"^ssaae (\w+)", README, re.MULTILINE))
    help_text = subprocess.run(["ssaae", "--help"], capture_output=True, text=True, check=True).stdout
    assert commands and all(f"  {command} " in help_text for command in commands)


def test_results_quoted_are_those_of_the_results_files_linked():
    """Every "mean ± std (n)" in the README's Results is in a results.md that the section links."""
    results = README.split("\n## Results\n")[1].split("\n## ")[0]
    linked = re.findall(r"\]\(([^)]+/results\.md)\)", results)
    committed = "".join((ROOT / link).read_text() for link in linked)
    quoted = re.findall(r"[0-9.]+ ± [0-9.]+ \(\d+\)", results)
    assert linked and quoted
    assert [figure for figure in quoted if figure not in committed] == []


def test_readme_is_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_readme_names_no_development_paths():
    assert "../shared" not in README
