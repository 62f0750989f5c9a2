"""Writing files so that a reader never sees half of one: an old file stays whole until the new
one has reached the disk in full, whether the writer is killed or the disk fills up."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path, mode="w"):
    """Open a temporary file beside ``path`` for writing; on leaving the block without an error,
    flush it to disk and rename it over ``path``, else delete it and leave ``path`` as it was.

    Parameters
    ----------
    path : str or Path
    mode : {"w", "wb"}, default="w"

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "notes.txt"
    ...     with atomic_write(path) as file:
    ...         _ = file.write("first")
    ...     try:
    ...         with atomic_write(path) as file:
    ...             _ = file.write("second, cut short")
    ...             raise OSError("no space left on device")
    ...     except OSError:
    ...         pass
    ...     print(path.read_text(), sorted(p.name for p in Path(folder).iterdir()))
    first ['notes.txt']
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with open(descriptor, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:  # a kill by Ctrl-C too: never leave the temporary file behind
        Path(temporary).unlink(missing_ok=True)
        raise


def check_writable(path):
    """Raise an OSError now if ``path`` cannot be created, rather than after hours of training:
    its folder is missing, read-only or not a folder.

    Examples
    --------
    >>> check_writable("/no/such/folder/model.pt")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write /no/such/folder/model.pt: no folder /no/such/folder
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: no folder {path.parent}")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    try:  # os.access says yes to root on a read-only file system; creating a file tells the truth
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise PermissionError(f"cannot write {path}: {error.strerror or error}") from None
