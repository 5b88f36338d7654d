"""The ``liaison`` command: a thin front over Django's management commands.

``liaison demo``, ``liaison serve``, ``liaison migrate``, ``liaison survey …``, ``liaison audit
verify`` are all management commands of Liaison's apps; this module only points Django at the
settings and hands over the arguments.

One exception keeps the analysis of a file quick: ``liaison survey analyze|compare`` on export
files, writing JSON or text, reads no database and draws no template, so it runs with the
settings (data folder, languages, time zone) but without starting the web application's apps —
whose imports (models, the API's pydantic schemas) take longer than reading 100,000 answers
(issue #12). A stored round (``--round``) or a report (``--html``, ``--pdf``) starts everything.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys

FILE_ANALYSES = ("analyze", "compare")


def main(argv: list[str] | None = None) -> None:
    # Start-up imports make hundreds of thousands of objects and no garbage: the cyclic
    # collector's passes over them are wasted time. It runs again once the command is chosen.
    gc.disable()
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    # Liaison's numerical work is small matrices: OpenBLAS's thread pool costs more to start
    # (a tenth of a second) than it saves, and on two cores its threads compete with the rest.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from liaison.operations.startup import DataFolderUnusable

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings, which check the data folder)
    except DataFolderUnusable as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None
    except (ImproperlyConfigured, ImportError):
        pass  # Django reports these itself, below
    else:
        if args[:1] not in (["compilemessages"], ["makemessages"]):  # those do it with gettext
            from liaison.catalogues import ensure_compiled

            with contextlib.suppress(OSError):  # a read-only install ships them compiled
                ensure_compiled()

    if reads_files_only(args):
        analyse_files(args)
        return
    from django.core.management import execute_from_command_line

    gc.enable()  # a server or a long command makes garbage
    execute_from_command_line(["liaison", *args])


def reads_files_only(args: list[str]) -> bool:
    """Whether the command is ``survey analyze|compare`` on files only, writing JSON or text:
    no stored round (``--round``, the database) and no report (``--html``/``--pdf``, templates).

    Decided by the command's own parser (abbreviations included); anything it does not accept
    goes the usual way, which reports it."""
    if len(args) < 2 or args[0] != "survey" or args[1] not in FILE_ANALYSES:
        return False
    from django.core.management.base import CommandError

    from liaison.surveys.management.commands.survey import Command

    parser = Command().create_parser("liaison", "survey")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            options = parser.parse_args(args[1:])
    except (CommandError, SystemExit):
        return False  # --help, --version, a bad argument: Django's own path says it
    return not (options.rounds or options.html or options.pdf)


def analyse_files(args: list[str]) -> None:
    """Run ``liaison survey …`` with the settings but none of the apps (see the module's note):
    translations come from the project's catalogues (``LOCALE_PATHS``) as they do in the app."""
    from django.apps import apps

    from liaison.surveys.management.commands.survey import Command

    apps.populate([])
    # The collector stays off: one analysis, then the process ends (below); the few cycles it
    # leaves are freed with the process.
    Command().run_from_argv(["liaison", *args])  # a refusal exits here, the usual way
    # Done, every output written and closed: end without freeing the answers one by one (six
    # million strings for 100,000 respondents × 60 questions, a fifth of a second).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing to keep
            stream.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
