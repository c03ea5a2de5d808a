"""The ``trove`` console script: runs the ``trove`` binary with the same
arguments.

The platform wheel installs this as the ``trove`` command, so that
``pip install trove-*.whl`` gives the command line as well as the package.
On POSIX the script replaces itself with the binary (``os.execv``); elsewhere
it runs it and exits with its exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import List, Optional

from . import _helper, errors


def main(argv: Optional[List[str]] = None) -> int:
    """Run the ``trove`` binary with ``argv`` (default ``sys.argv[1:]``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        binary = _helper.find_binary()
    except errors.BinaryNotFound as e:
        print(f"trove: {e}", file=sys.stderr)
        return 127
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(binary, ["trove"] + args)
    return subprocess.call([binary] + args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
