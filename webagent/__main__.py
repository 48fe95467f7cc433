import sys

from webagent.cli import main

sys.exit(main())
