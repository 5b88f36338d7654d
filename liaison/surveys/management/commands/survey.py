"""``liaison survey analyze|compare``: analyse questionnaire data from the command line.

::

    liaison survey analyze FORM.xlsx DATA.csv [--by QUESTION] [--where EXPR]
                           [--json OUT.json] [--html OUT.html] [--pdf OUT.pdf] [--lang en|vi]
    liaison survey compare FORM.xlsx BASELINE.csv FOLLOWUP.csv
                           [--json OUT.json] [--html OUT.html] [--pdf OUT.pdf] [--lang en|vi]

``--form-version OLD.xlsx`` (repeatable) gives other versions of the questionnaire: the export's
``__version__`` / ``FormVersion`` column picks the one most rows answered, and choices of
another version on that version's rows are notices, not refusals.

DATA is a KoboToolbox or ODK Central CSV export (the format is recognised), or ``--round ID`` a
survey round stored in the app (its submitted questionnaires): ``analyze FORM.xlsx --round 3``,
``compare FORM.xlsx --round 1 --round 2`` (baseline first). ``compare`` takes two sources in
all: the files named first, then the rounds. Without an output option the distributions are
printed. ``--json -`` writes the JSON to standard output. Every
problem (a bad form, a rejected file, an unknown ``--by`` question, a broken filter) ends the
command with its message and a non-zero exit status, never a traceback.

Messages follow the terminal's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: Vietnamese for
``vi_*``, Lao for ``lo_*`` … any language of the interface, English otherwise); ``--lang``
chooses the language of the labels and the report only.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from liaison.surveys.imports import ExportRejected, ImportNotice
    from liaison.surveys.sources import AnswerSource
    from liaison.surveys.xlsform import Form

SHOWN_PROBLEMS = 50
SHOWN_PER_KIND = 5
"""Rows shown under each kind of problem of a rejected file."""


def terminal_language(environment: dict[str, str] | None = None) -> str:
    """The language of the terminal's messages, as POSIX locates it (``LC_ALL`` first, then
    ``LC_MESSAGES``, then ``LANG``): any language the interface speaks, English otherwise."""
    from liaison.languages import interface_languages
    from liaison.languages import terminal_language as posix_language

    return posix_language(interface_languages(), os.environ if environment is None else environment)


def _outputs(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--json", metavar="OUT.json", help="write the results as JSON ('-': stdout)"
    )
    parser.add_argument("--html", metavar="OUT.html", help="write the report as HTML")
    parser.add_argument("--pdf", metavar="OUT.pdf", help="write the report as PDF")
    from liaison.languages import interface_languages

    parser.add_argument(
        "--lang",
        choices=interface_languages(),
        default=None,
        help="language of labels and report",
    )


def _rounds(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--round",
        metavar="ID",
        dest="rounds",
        type=int,
        action="append",
        default=[],
        help="a survey round stored in the app, instead of a CSV export",
    )


def _versions(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--form-version",
        metavar="FORM.xlsx",
        dest="form_versions",
        action="append",
        default=[],
        help="another version of the questionnaire: the data's __version__ column picks the "
        "version each row was answered with (FORM.xlsx is used when it names none)",
    )


class Command(BaseCommand):
    help = "Analyse questionnaire data (KoboToolbox or ODK Central exports) against an XLSForm."
    # The analysis reads files only; it must run even where the web app is not configured.
    requires_system_checks: list[str] = []
    other_versions: tuple[Form, ...] = ()
    """Other versions of the questionnaire (``--form-version``)."""

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{analyze,compare}")
        analyse = actions.add_parser("analyze", help="distributions, cross-tabs, scores, report")
        analyse.add_argument("form", metavar="FORM.xlsx")
        analyse.add_argument("data", metavar="DATA.csv", nargs="?")
        _rounds(analyse)
        _versions(analyse)
        analyse.add_argument("--by", metavar="QUESTION", help="a select_one or calculate question")
        analyse.add_argument("--where", metavar="EXPR", help="e.g. \"knows_ods = 'yes'\"")
        _outputs(analyse)
        comparison = actions.add_parser("compare", help="baseline against follow-up")
        comparison.add_argument("form", metavar="FORM.xlsx")
        comparison.add_argument("baseline", metavar="BASELINE.csv", nargs="?")
        comparison.add_argument("followup", metavar="FOLLOWUP.csv", nargs="?")
        _rounds(comparison)
        _versions(comparison)
        _outputs(comparison)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        from liaison.surveys.xlsform import FormError, load_form

        # pyxform's conversion of a form file, kept by the file's hash: a second run on the
        # same questionnaire neither imports pyxform nor converts it again.
        cache = Path(settings.DATA_DIR) / "cache" / "forms"
        # Messages in the terminal's language; labels and report in ``--lang`` (passed along).
        with translation.override(terminal_language()):
            try:
                form = load_form(Path(options["form"]), cache=cache)
                self.other_versions = tuple(
                    load_form(Path(path), cache=cache)
                    for path in options.get("form_versions") or ()
                )
            except FormError as error:
                raise CommandError(str(error)) from None
            for version in self.other_versions:
                if version.form_id != form.form_id:
                    raise CommandError(
                        _("%(file)s is the questionnaire %(other)s, not a version of %(form)s.")
                        % {
                            "file": version.source_name,
                            "other": version.form_id,
                            "form": form.form_id,
                        }
                    )
            self.run(form, options)

    def run(self, form: Form, options: dict[str, Any]) -> None:
        # pandas takes half a second to import: only once the form is read.
        from liaison.surveys.analysis import AnalysisError, import_statistics_meanwhile
        from liaison.surveys.imports import ExportError, ExportRejected

        import_statistics_meanwhile()  # while the export is read
        try:
            if options["action"] == "analyze":
                (data,) = self.sources([options["data"]], options["rounds"], 1)
                self.analyze(form, data, options)
            else:
                baseline, followup = self.sources(
                    [options["baseline"], options["followup"]], options["rounds"], 2
                )
                self.compare(form, baseline, followup, options)
        except ExportRejected as error:
            raise CommandError(_rejection(error)) from None
        except (ExportError, AnalysisError) as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(
                _("%(file)s cannot be written: %(reason)s")
                % {"file": error.filename, "reason": error.strerror}
            ) from None

    # --- data sources ------------------------------------------------------------------------

    def sources(
        self, files: list[str | None], rounds: list[int], wanted: int
    ) -> list[AnswerSource]:
        """The data arguments (files first, then ``--round`` IDs) as ``wanted`` sources."""
        given: list[str | int] = [name for name in files if name]
        given += rounds
        if len(given) != wanted:
            raise CommandError(
                _("Give %(wanted)s data source(s) (CSV exports or --round ID); %(count)s given.")
                % {"wanted": wanted, "count": len(given)}
            )
        return [self.source(argument) for argument in given]

    def source(self, argument: str | int) -> AnswerSource:
        """The one place a data argument becomes a source of answers: a file name, or the ID
        of a survey round stored in the app (``--round ID``)."""
        from liaison.surveys.sources import ExportFile, StoredRound

        if isinstance(argument, int):
            return StoredRound(argument)
        return ExportFile(
            Path(argument),
            on_notice=self.notice,
            other_versions=self.other_versions,
        )

    def notice(self, notice: ImportNotice) -> None:
        self.stderr.write(notice.message)

    # --- actions -----------------------------------------------------------------------------

    def analyze(self, form: Form, source: AnswerSource, options: dict[str, Any]) -> None:
        from liaison.surveys.analysis import analyze
        from liaison.surveys.expressions import filter_hints
        from liaison.surveys.sources import StoredRound

        language = options.get("lang")
        where = options.get("where")
        for hint in filter_hints(form, where) if where else []:
            self.stderr.write(hint)
        data = source.load(form)
        answers = data.respondents
        result = analyze(
            form,
            answers,
            by=options.get("by"),
            where=options.get("where"),
            language=language,
            repeats=data.repeats,
        )
        if where and result["respondents"] == 0 and len(answers):
            self.stderr.write(
                _("No respondent of the %(count)s meets the filter %(where)s.")
                % {"count": len(answers), "where": where}
            )
        if isinstance(source, StoredRound):
            from liaison.surveys.qualitative import add_text_codes

            add_text_codes(result, source.stored(form), form)
        self.write_json(options.get("json"), result)
        if options.get("html") or options.get("pdf"):
            from liaison.surveys import report

            by_result = result
            if not result["by"] and form.has_question("cluster"):
                by_result = analyze(
                    form, answers, by="cluster", where=options.get("where"), language=language
                )
            self.write_report(
                options,
                lambda: report.render_html(form, result, by_result=by_result, language=language),
            )
        if not any(options.get(key) for key in ("json", "html", "pdf")):
            from liaison.surveys.report import text_summary

            self.stdout.write(text_summary(result), ending="")

    def compare(
        self,
        form: Form,
        baseline: AnswerSource,
        followup: AnswerSource,
        options: dict[str, Any],
    ) -> None:
        from liaison.surveys.analysis import compare

        language = options.get("lang")
        result = compare(
            form,
            baseline.load(form).respondents,
            followup.load(form).respondents,
            language=language,
        )
        self.write_json(options.get("json"), result)
        if options.get("html") or options.get("pdf"):
            from liaison.surveys import report

            self.write_report(
                options, lambda: report.render_comparison_html(form, result, language=language)
            )
        if not any(options.get(key) for key in ("json", "html", "pdf")):
            from liaison.surveys.report import comparison_summary

            self.stdout.write(comparison_summary(result), ending="")

    # --- outputs -----------------------------------------------------------------------------

    def write_json(self, target: str | None, payload: object) -> None:
        if not target:
            return
        text = json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
        if target == "-":
            self.stdout.write(text)
            return
        Path(target).write_text(text + "\n", encoding="utf-8")
        self.stderr.write(_("Wrote %(file)s") % {"file": target})

    def write_report(self, options: dict[str, Any], html: Callable[[], str]) -> None:
        from liaison.surveys.report import pdf_from_html

        document = html()  # drawn once (charts and all) for both outputs
        if options.get("html"):
            Path(options["html"]).write_text(document, encoding="utf-8")
            self.stderr.write(_("Wrote %(file)s") % {"file": options["html"]})
        if options.get("pdf"):
            Path(options["pdf"]).write_bytes(pdf_from_html(document))
            self.stderr.write(_("Wrote %(file)s") % {"file": options["pdf"]})


def _rejection(error: ExportRejected) -> str:
    """Every kind of problem of the file, each with its first rows."""
    lines = [str(error)]
    if not error.groups:
        lines += [f"  {problem}" for problem in error.problems[:SHOWN_PROBLEMS]]
        if error.total > SHOWN_PROBLEMS:
            more = error.total - SHOWN_PROBLEMS
            lines.append("  " + _("… and %(count)s more.") % {"count": more})
        return "\n".join(lines)
    for group in error.groups:
        lines.append(f"  {group}")
        lines += [f"    {problem}" for problem in group.first[:SHOWN_PER_KIND]]
    return "\n".join(lines)
