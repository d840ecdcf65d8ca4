"""Directories that are complete or absent: written in a temporary sibling, then renamed into
place (an existing target is moved aside first and deleted once the new one is in)."""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def writing_dir(target):
    """Yields a fresh directory beside `target` to fill; on success it becomes `target`, on
    any error it is removed and `target` is left as it was."""
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.tmp-", dir=parent)
    try:
        os.chmod(tmp, 0o755)
        yield tmp
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(new, target):
    if not os.path.exists(target):
        os.rename(new, target)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-",
                           dir=os.path.dirname(target))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
