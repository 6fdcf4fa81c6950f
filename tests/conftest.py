import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# The command line caches by default: keep the suite's caches out of the repository.
os.environ["WFCHECK_CACHE_DIR"] = tempfile.mkdtemp(prefix="wfcheck-test-cache-")
atexit.register(shutil.rmtree, os.environ["WFCHECK_CACHE_DIR"], True)
