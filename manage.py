#!/usr/bin/env python
"""Django's usual entry point; ``liaison`` is the same thing once installed."""

from liaison.cli import main

if __name__ == "__main__":
    main()
