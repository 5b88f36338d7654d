"""Who may see and change the reference library: every signed-in user reads it; only system
administrators change it (they pass the permission layer without a policy's say)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from liaison.reference.models import Source
from liaison.reference.vocabularies import ENTRY_MODELS
from liaison.registry.models import User
from liaison.registry.permissions import Action, register


class ReferencePolicy:
    def visible(self, user: User) -> Q:
        return Q()

    def allows(self, user: User, action: Action, obj: Any) -> bool:
        return False


REFERENCE_MODELS: tuple[type[models.Model], ...] = (Source, *ENTRY_MODELS)
for _model in REFERENCE_MODELS:
    register(_model)(ReferencePolicy)
