"""Directories that are complete or absent: written in a temporary sibling, then renamed into
place (an existing target is moved aside first and deleted once the new one is in). Only a
directory that holds nothing but what such a write puts there is ever replaced, so a user's
own files are never deleted by a save pointed at the wrong directory."""

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
        refuse_foreign(target, set(os.listdir(tmp)))
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# Files of a model directory that a save may not write this time but an earlier one (sharded
# weights, another tokenizer format, LoRA adapters) may have: replacing them loses nothing.
MODEL_FILE_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "*config.json",
                       "tokenizer*", "special_tokens_map.json", "vocab.json", "merges.txt",
                       "chat_template.*", "optimizer.pt", "adapter_*", "README.md")


class ForeignDirectory(ValueError):
    """The target holds files a model save does not write."""


def refuse_foreign(target, written):
    """Refuses to replace `target` unless it is absent, empty, or holds only model files."""
    import fnmatch

    if not os.path.lexists(target):
        return
    if not os.path.isdir(target) or os.path.islink(target):
        raise ForeignDirectory(f"{target} exists and is not a directory; refusing to replace it")
    foreign = sorted(
        name for name in os.listdir(target)
        if name not in written
        and not (os.path.isfile(os.path.join(target, name))
                 and any(fnmatch.fnmatch(name, p) for p in MODEL_FILE_PATTERNS)))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ForeignDirectory(
            f"{target} holds files a model save does not write ({shown}); refusing to replace "
            "it: save to a new directory or to one a save wrote")


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
