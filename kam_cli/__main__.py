"""`python -m kam_cli …` runs the `kam` command without installing the package."""

from kam_cli.main import main

main()
