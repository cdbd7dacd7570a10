import sys

from scripts.ops.cli import main

sys.exit(main())
