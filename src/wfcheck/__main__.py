"""`python -m wfcheck` entry point."""

from wfcheck.cli import main

if __name__ == "__main__":
    main()
