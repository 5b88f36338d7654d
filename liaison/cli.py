"""The ``liaison`` command: a thin front over Django's management commands.

``liaison demo``, ``liaison serve``, ``liaison migrate``, ``liaison survey …``, ``liaison audit
verify`` are all management commands of Liaison's apps; this module only points Django at the
settings and hands over the arguments.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from liaison.operations.startup import DataFolderUnusable

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings, which check the data folder)
    except DataFolderUnusable as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None
    except (ImproperlyConfigured, ImportError):
        pass  # Django reports these itself, below

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["liaison", *args])


if __name__ == "__main__":
    main()
