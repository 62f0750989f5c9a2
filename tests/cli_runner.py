"""Running the ``ssaae`` command in-process, for the tests of its commands."""

from click.testing import CliRunner

from ssaae.cli import main


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
