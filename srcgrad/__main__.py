"""`python -m srcgrad FILE.py:FUNCTION [--wrt ...] [--at ...]`"""

import sys

from .api.cli import main

if __name__ == "__main__":
    sys.exit(main())
