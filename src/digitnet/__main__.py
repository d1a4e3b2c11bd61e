"""``python -m digitnet`` runs the ``digitnet`` command."""

import sys

from digitnet.cli import main

sys.exit(main())
