"""Writing a benchmark's results: fail before a long run, not after it.

Only the benchmarks write reports, so these live here, not in snippets/.
"""

import json
import sys
import tempfile
from pathlib import Path

from snippets.common import describe_os_error, write_atomically


def check_writable(path, prog):
    """Fail before a long run, not after it, if a results file cannot be
    written at ``path`` (write_atomically puts its temporary file in the same
    folder): True, or one line on stderr (starting with ``prog``) and False.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        error = OSError(error.errno, error.strerror, str(path))
        print(f"{prog}: error: {describe_os_error(error)}", file=sys.stderr)
        return False
    return True


def write_report(path, report, prog):
    """Write a benchmark's ``report`` as JSON, atomically; True, or one line
    on stderr (starting with ``prog``) and False if it cannot be written.
    """
    try:
        write_atomically(path, (json.dumps(report, indent=2) + "\n").encode())
    except OSError as error:
        print(f"{prog}: error: {describe_os_error(error)}", file=sys.stderr)
        return False
    return True
