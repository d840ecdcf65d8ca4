"""`python -m proxmo_tracker`: serve the tracker logger's requests on stdin/stdout."""

import sys

from .logger import main

if __name__ == "__main__":
    sys.exit(main())
