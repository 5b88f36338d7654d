"""Form fields other apps use to let a user pick a reference entry (a precursor, a species…)."""

from __future__ import annotations

from typing import Any

from django import forms

from liaison.reference.models import ReferenceEntry


class ReferenceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Choose one current entry of a vocabulary, labelled in the reader's language.

    Submitted values are entry codes (``acetic-anhydride``, ``A1160``), so the same field parses
    a web form, an API body and a spreadsheet column alike.
    """

    def __init__(self, model: type[ReferenceEntry], **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "code")
        queryset = model._default_manager.filter(active=True).order_by("name_en")
        super().__init__(queryset=queryset, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        # Called while the form renders, so the language active for the request applies.
        entry: ReferenceEntry = obj
        return entry.label()
