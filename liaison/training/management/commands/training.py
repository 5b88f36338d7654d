"""``liaison training …``: import content packages, list certificates, make a training plan.

liaison training import [PATH …] [--check]
liaison training certificates [--base-url URL] [--all]
liaison training plan RESPONDENTS.csv --title T --source S [--country VN] [--rank-by need|required]
liaison training plan --round ID --title T [--source S] [--country VN] [--rank-by need|required]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.registry.models import Country
from liaison.surveys.models import SurveyRound
from liaison.training.content import ContentError, read_folder
from liaison.training.demo import CONTENT_DIR
from liaison.training.models import Certificate, CertificateState, PlanRanking
from liaison.training.planning import PlanInputError, read_respondents_csv
from liaison.training.services import (
    do_create_training_plan,
    do_create_training_plan_from_round,
    do_import_content,
    reference_exists,
)

DEFAULT_BASE_URL = "http://localhost:8000"


class Command(BaseCommand):
    help = "Training: import content packages, list certificates, make a training plan."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="import content packages (all or nothing)")
        importing.add_argument(
            "paths",
            nargs="*",
            type=Path,
            help=f"package or content folders (default: the modules shipped, {CONTENT_DIR})",
        )
        importing.add_argument("--check", action="store_true", help="check only, import nothing")
        listing = sub.add_parser(
            "certificates", help="list issued certificates and their verification URLs"
        )
        listing.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"address the app is reached at (default {DEFAULT_BASE_URL})",
        )
        listing.add_argument(
            "--all", action="store_true", help="also expired, renewed and revoked ones"
        )
        planning = sub.add_parser(
            "plan", help="make a training plan from an assessment's training grid"
        )
        planning.add_argument(
            "respondents",
            type=Path,
            nargs="?",
            help="CSV: blo, agency, cluster and one column per grid topic",
        )
        planning.add_argument(
            "--round",
            type=int,
            dest="survey_round",
            help="instead of a CSV: the submitted answers of a survey round stored in the app",
        )
        planning.add_argument("--title", required=True)
        planning.add_argument(
            "--source",
            default="",
            help="the assessment round, e.g. 'PATROL TNA Viet Nam 2010' (a stored round's title)",
        )
        planning.add_argument(
            "--country", default="", help="ISO code of the country, e.g. VN (a stored round's)"
        )
        planning.add_argument(
            "--rank-by", choices=PlanRanking.values, default=PlanRanking.NEED.value
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self._import(options["paths"] or [CONTENT_DIR], check=options["check"])
        elif action == "certificates":
            self._certificates(options["base_url"], show_all=options["all"])
        elif action == "plan":
            self._plan(options)

    def _import(self, paths: list[Path], *, check: bool) -> None:
        for path in paths:
            try:
                if check:
                    folder = read_folder(path, reference_exists=reference_exists)
                    self.stdout.write(
                        f"{path}: {len(folder.modules)} modules, "
                        f"{len(folder.qualifications)} qualifications, no problem found"
                    )
                    continue
                report = do_import_content(path, actor=None)
            except ContentError as exc:
                lines = "\n".join(f"  {p}" for p in exc.problems)
                raise CommandError(f"Nothing was imported from {path}:\n{lines}") from exc
            self.stdout.write(
                f"{path}: {len(report.created)} new, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged modules; "
                f"{len(report.qualifications)} qualifications created or updated"
            )

    def _certificates(self, base_url: str, *, show_all: bool) -> None:
        base = base_url.rstrip("/")
        today = timezone.localdate()
        certificates = Certificate.objects.select_related(
            "qualification", "blo", "renewed_by"
        ).order_by("issued_on", "code")
        shown = 0
        for certificate in certificates:
            state = certificate.state(today)
            if not show_all and state != CertificateState.VALID:
                continue
            shown += 1
            self.stdout.write(
                "\t".join(
                    [
                        certificate.code,
                        certificate.holder_name,
                        certificate.blo.code if certificate.blo else "-",
                        certificate.qualification.code,
                        certificate.issued_on.isoformat(),
                        certificate.valid_until.isoformat(),
                        state.value,
                        f"{base}{certificate.verification_path()}",
                    ]
                )
            )
        if not shown:
            self.stderr.write("No certificate issued." if not show_all else "No certificate.")

    def _plan(self, options: dict[str, Any]) -> None:
        country = None
        if options["country"]:
            country = Country.objects.filter(code=options["country"].upper()).first()
            if country is None:
                raise CommandError(f"No country with the code {options['country']!r}.")
        round_id = options.get("survey_round")
        if (round_id is None) == (options["respondents"] is None):
            raise CommandError("Give either a respondents CSV or --round ID, not both or neither.")
        common: dict[str, Any] = {
            "title": options["title"],
            "country": country,
            "starts_on": timezone.localdate(),
            "ranking": PlanRanking(options["rank_by"]),
            "actor": None,
        }
        try:
            if round_id is not None:
                survey_round = SurveyRound.objects.filter(pk=round_id).first()
                if survey_round is None:
                    raise CommandError(f"No survey round {round_id}.")
                # the same path as the page: the round's BLOs named through the registry
                common["country"] = country or survey_round.country
                plan = do_create_training_plan_from_round(
                    survey_round, source=options["source"] or survey_round.title, **common
                )
            else:
                if not options["source"]:
                    raise CommandError("Give --source: the assessment the CSV comes from.")
                respondents = read_respondents_csv(
                    options["respondents"].read_text(encoding="utf-8-sig")
                )
                plan = do_create_training_plan(
                    source=options["source"], respondents=respondents, **common
                )
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['respondents']}: {exc}") from exc
        except PlanInputError as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for item in plan.items.prefetch_related("modules"):
            modules = ", ".join(m.code for m in item.modules.all()) or "-"
            self.stdout.write(f"{item.rank}. {item.topic}\t{item.need_share}%\t{modules}")
