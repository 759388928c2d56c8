"""`python -m deputyguard`."""

import sys

from deputyguard.cli import main

sys.exit(main())
