import sys

from aecore.cli.main import main

sys.exit(main())
