"""`python -m jeras ...` is the `jeras` command."""
import sys

from jeras.cli import main

sys.exit(main())
