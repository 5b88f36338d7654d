"""Training plans drawn from an assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.registry.models import BLO, Agency, AgencyKind, Cluster, Country, User
from liaison.registry.signed_in import current_user
from liaison.training import policies, selectors, services
from liaison.training.forms import (
    TrainingPlanForm,
)
from liaison.training.models import (
    GridAnswer,
    GridTopic,
    PlanRanking,
)
from liaison.training.planning import PlanInputError, read_respondents_csv
from liaison.training.policies import makes_plan, manages_training
from liaison.training.views.coverage import _require_follower


def _plan_countries(user: User) -> QuerySet[Country]:
    return Country.objects.filter(policies.plan_country_filter(user))


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    return render(
        request,
        "training/plans.html",
        {
            "plans": selectors.visible_plans(user),
            "may_create": makes_plan(user, user.country_id) or manages_training(user),
        },
    )


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    countries = _plan_countries(user)
    if not countries.exists():
        raise PermissionDenied
    form = TrainingPlanForm(
        request.POST or None,
        request.FILES or None,
        countries=countries,
        plans=selectors.visible_plans(user),
        rounds=selectors.plan_rounds(user),
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common: dict[str, Any] = {
            "title": data["title"],
            "country": data["country"],
            "source": data["source"],
            "starts_on": data["starts_on"],
            "ranking": PlanRanking(data["ranking"]),
            "previous": data["previous"],
            "actor": user,
            "request": request,
        }
        try:
            if data["survey_round"] is not None:
                plan = services.do_create_training_plan_from_round(data["survey_round"], **common)
            else:
                text = data["file"].read().decode("utf-8-sig")
                plan = services.do_create_training_plan(
                    respondents=read_respondents_csv(text), **common
                )
        except UnicodeDecodeError:
            form.add_error("file", _("Save the file as UTF-8 CSV."))
        except PlanInputError as exc:
            problems = [str(p) for p in exc.problems]
            if data["survey_round"] is not None:
                form.add_error(
                    "survey_round", _("The round's answers have problems; nothing was saved.")
                )
            else:
                form.add_error("file", _("The file has problems; nothing was saved."))
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error("country", _("You may not make a plan for this country."))
        else:
            messages.success(request, _("Training plan created."))
            return redirect(plan.get_absolute_url())
    return render(request, "training/plan_form.html", {"form": form, "problems": problems})


def _group_rows(
    groups: dict[str, Any], kind: str, country: Country | None
) -> list[tuple[str, int, list[Any]]]:
    """Groups of the analysis, named as the registry names them when it knows the key (a code,
    an English name, or a survey choice such as ``moc_bai``, ``CL1`` or ``customs``)."""
    names: dict[str, str] = {}
    if kind == "agency":
        names = {selectors.group_key(k.value): str(k.label) for k in AgencyKind}
    model: Any = {"blo": BLO, "agency": Agency, "cluster": Cluster}[kind]
    objects = model.objects.all()
    if country is not None:
        objects = objects.filter(country=country)
    for obj in objects:
        for key in (obj.code, obj.name_en, obj.code.split("-", 1)[-1]):
            names[selectors.group_key(key)] = obj.display_name
    return [
        (names.get(selectors.group_key(key), key), group["respondents"], group["topics"])
        for key, group in groups.items()
    ]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    plan = selectors.access_plan(user, pk)
    analysis = plan.analysis
    blos = [b for b in selectors.training_blos(user) if plan.country_id in (None, b.country_id)]
    breakdown = request.GET.get("by", "cluster")
    if breakdown not in {"cluster", "agency", "blo"}:
        breakdown = "cluster"
    groups = analysis.get(f"by_{breakdown}", {})
    return render(
        request,
        "training/plan.html",
        {
            "plan": plan,
            "items": plan.items.prefetch_related("modules"),
            "grid_rows": [
                (t["topic"], [t["percent"][a.value] for a in GridAnswer], t["answered"])
                for t in sorted(
                    analysis.get("overall", []),
                    key=lambda t: list(GridTopic.values).index(t["topic"]),
                )
            ],
            "answers": list(GridAnswer),
            "breakdown": breakdown,
            "groups": _group_rows(groups, breakdown, plan.country),
            "progress": selectors.plan_progress(plan, blos),
            "changes": selectors.plan_changes(plan) if plan.previous_id else [],
        },
    )
