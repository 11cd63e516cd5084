"""Settings for the test process: the project's own, read with debug on unless the
test run says otherwise (servers the tests start get their own environment)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from installation.settings import *  # noqa: E402, F403

# whitenoise warns (an error under pytest) when STATIC_ROOT is missing before
# collectstatic has ever run; the test client serves from the finders anyway.
STATIC_ROOT.mkdir(exist_ok=True)  # noqa: F405
