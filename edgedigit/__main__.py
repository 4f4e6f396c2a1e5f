"""`python -m edgedigit` runs the same CLI as the `edgedigit` console script."""

from edgedigit.cli import main

main()
