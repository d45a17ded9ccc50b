import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import snippets  # noqa: E402,F401  (imports TensorFlow quietly once)


@pytest.fixture(scope="session")
def small_data():
    """The first 3,000 training images, 1,000 for validation, and the whole test set."""
    from snippets.data import load_dataset

    return load_dataset(validation_size=1000, limit=3000)


def run_snippets(*args, cwd=None, timeout=300, env=None):
    """Run ``python -m <args>`` in a fresh process, as a reader would."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, env=environment)


pytest_plugins = ["site_fixtures"]
