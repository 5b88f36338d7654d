"""Optimistic locking of the editable objects outside the exchange (meetings, BLOs, crossings,
accounts, survey rounds, training sessions).

A form carries the version its user opened in a hidden field; the service compares it with the
locked stored row and refuses a save made over someone else's (``StaleEdit``). The view then
shows the saved values of the fields the user changed and keeps the user's own text in the form,
with the saved version's number, so that saving again applies it knowingly. The exchange has the
same flow for its records (``liaison.exchange.services.StaleEdit``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

VERSION_FIELD = "version"


class Versioned(Protocol):
    version: int


class StaleEdit(Exception):
    """Someone saved the object after this user opened it; nothing of this save was written.

    ``version`` is the saved version's number; ``changes`` maps each field (by its label) the
    user changed to ``{"from": saved value, "to": the user's value}``."""

    def __init__(self, version: int, changes: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__("the object was changed by someone else")
        self.version = version
        self.changes = dict(changes)


def check_version(
    stored: Versioned,
    expected_version: int | None,
    saved: Callable[[], Mapping[str, Any]],
    yours: Callable[[], Mapping[str, Any]],
) -> int:
    """The version the object gets when this save commits; ``StaleEdit`` if ``stored`` (the
    locked row) is no longer the version the user opened. ``None`` means the caller edits
    without a form opened earlier (an import, a script): nothing to compare."""
    if expected_version is not None and stored.version != expected_version:
        before, after = saved(), yours()
        raise StaleEdit(
            stored.version,
            {
                key: {"from": before.get(key), "to": after.get(key)}
                for key in sorted(set(before) | set(after))
                if before.get(key) != after.get(key)
            },
        )
    return stored.version + 1


def displayed(obj: models.Model, names: Iterable[str]) -> dict[str, str]:
    """The fields ``names`` of ``obj`` as a reader sees them, keyed by their label: the shown
    value of a choice, the name of a related object, the names of many."""
    shown: dict[str, str] = {}
    for name in names:
        field = obj._meta.get_field(name)
        label = str(getattr(field, "verbose_name", name))
        if field.many_to_many:
            if obj.pk is None:
                continue
            value: object = ", ".join(sorted(str(o) for o in getattr(obj, name).all()))
        elif getattr(field, "choices", None):
            value = getattr(obj, f"get_{name}_display")()
        else:
            value = getattr(obj, name)
        shown[label] = "" if value is None else str(value)
    return shown


def add_version_field(form: forms.BaseForm, version: int, *, editing: bool) -> None:
    """The hidden field carrying the version the user opened; required when ``editing`` a
    stored object (a new one has nothing to conflict with)."""
    form.fields[VERSION_FIELD] = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        required=editing,
        initial=version,
        error_messages={
            "required": gettext_lazy(
                "The form lacks the version you opened; open the page again and repeat your "
                "changes."
            ),
            "invalid": gettext_lazy(
                "The form's version is not a number; open the page again and repeat your changes."
            ),
        },
    )


def conflict_form[F: forms.BaseForm](
    request: HttpRequest, stale: StaleEdit, make_form: Callable[[QueryDict], F]
) -> F:
    """The form again with what the user typed and the saved version's number, after a
    ``StaleEdit``; the page says what happened."""
    messages.error(
        request,
        _(
            "Someone saved this after you opened it. Nothing was overwritten: your changes "
            "are still in the form below; compare them with the saved version and save again."
        ),
    )
    data = request.POST.copy()
    data[VERSION_FIELD] = str(stale.version)
    form = make_form(data)
    form.is_valid()
    return form
