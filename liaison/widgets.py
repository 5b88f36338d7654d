"""Form widgets drawn without the template engine where Django's own are costly.

Django draws a ``<select>`` by rendering one small template per option: a search form with the
~260 commodities of the reference vocabularies spent most of the incident list's time there
(22 of 43 ms a request). :class:`QuickSelect` writes the same HTML directly from the same
context (Django's ``optgroups``, attributes, selected values), escaped the same way.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> str:
    """Attributes as Django's ``attrs.html`` writes them: ``False`` left out, ``True`` bare."""
    parts = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


_OPTIONS: dict[Hashable, str] = {}
"""Options drawn for a stable list of choices (``QuickSelect.options_key``), none selected."""
_OPTIONS_KEPT = 64
_SELECTED = re.compile(r'(<option value="[^"]*") selected>')


class QuickSelect(forms.Select):
    """A ``<select>`` with the same markup as Django's, written in one pass.

    A form whose choices are the same for many readers (the ~260 commodities, per language and
    version of the reference data) names them with ``options_key``: the options are then drawn
    once for that key, and each page only marks its chosen values.
    """

    options_key: Hashable | None = None

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        if self.options_key is None or self.allow_multiple_selected:
            return self._draw(name, value, attrs)
        options = _OPTIONS.get(self.options_key)
        if options is None:
            drawn = self._draw("", None, {})
            options = _SELECTED.sub(r"\1>", drawn[drawn.index(">") + 1 : -len("</select>")])
            if len(_OPTIONS) >= _OPTIONS_KEPT:
                _OPTIONS.clear()
            _OPTIONS[self.options_key] = options
        for chosen in self.format_value(value):
            mark = f'<option value="{conditional_escape(str(chosen))}">'
            options = options.replace(mark, mark[:-1] + " selected>", 1)
        attributes = _attributes(self.build_attrs(self.attrs, attrs))
        # the options were escaped when drawn; the name and the attributes are escaped here
        html = f'<select name="{conditional_escape(name)}"{attributes}>{options}</select>'
        return mark_safe(html)  # noqa: S308

    def _draw(self, name: str, value: Any, attrs: dict[str, Any] | None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        out = [
            f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                out.append(
                    f'<option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attributes(option['attrs'])}>{conditional_escape(option['label'])}</option>"
                )
            if group_name:
                out.append("</optgroup>")
        out.append("</select>")
        return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


class FixedChoices(BaseChoiceIterator):
    """A choice list put in Django's normal form once, for lists many forms share.

    Setting ``field.choices`` walks and rebuilds the whole list on every form (the ~260
    commodities, every search); a list wrapped here is kept (Django passes choice iterators
    through as they are) and only iterated.
    """

    def __init__(self, choices: Any) -> None:
        self.normalized: list[Any] = list(normalize_choices(choices))

    def __iter__(self) -> Any:
        return iter(self.normalized)

    def __len__(self) -> int:
        return len(self.normalized)
