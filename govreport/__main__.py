"""``python -m govreport``: the same entry point as the ``govreport`` command."""

from govreport.cli import main

main()
