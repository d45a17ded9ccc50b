"""Stamp every page with what verified it: TensorFlow and Python versions, and the build date.

The values come from the environment that builds the site (the one `make test` runs in on
CI), never from typed text, and the theme override (docs/overrides/main.html) shows them at
the foot of each page. Notebook pages were executed by this very build; the code blocks on
the other pages are run by tests/test_code_blocks.py.
"""

import datetime
import importlib.metadata
import platform


def on_config(config):
    config.extra["verified"] = {
        "tensorflow": importlib.metadata.version("tensorflow"),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
    }
    return config
