"""Writing reference outputs so that a crash leaves no half-written file.

Every reference script saves through `save_atomic`: the tensors go to a temporary
file beside the target, which is then renamed over it. The rename also replaces a
symbolic link at the target instead of writing through it, so a working folder
made of links to shared inputs never alters the files it links to.
"""
import os
import tempfile

from safetensors.torch import save_file


def save_atomic(tensors, path, metadata=None):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".safetensors", dir=folder)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as a plain open() would have made it
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
