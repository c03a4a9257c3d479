"""``python -m conversations_async.cli``: the same as the ``conversations-async`` command."""

import sys

from . import main

sys.exit(main())
