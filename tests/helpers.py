"""What several test files use: tiny network settings, and running the ``ssaae`` command in-process."""

from click.testing import CliRunner

from ssaae.cli import main

# Networks small enough to train on digits in a second or two.
TINY = {"hidden_layer_sizes": (32,), "discriminator_layer_sizes": (32,), "max_iter": 2}
TINY_OPTIONS = ["--param", "hidden_layer_sizes=(32,)", "--param", "discriminator_layer_sizes=(32,)", "--epochs", "2"]


def run(*args):
    """Invoke ``ssaae`` with ``args`` (turned into strings); the click Result."""
    return CliRunner().invoke(main, [str(arg) for arg in args])


def assert_one_line_error(result, *fragments):
    """The command failed as users should see it: non-zero exit, one ``Error:`` line holding every fragment."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), "the command raised instead of exiting"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
