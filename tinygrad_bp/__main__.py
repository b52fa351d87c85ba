"""`python -m tinygrad_bp` runs the `tinygrad-bp` command line."""

import sys

from tinygrad_bp.cli import main

sys.exit(main())
