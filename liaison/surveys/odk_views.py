"""The questionnaire filled in ODK Web Forms, the form engine ODK Central serves.

The page mounts the engine (bundled from npm, served by the app) on the round's XForm as pyxform
produced it; the engine posts the filled instance as ODK Collect posts to an OpenRosa server
(multipart, ``xml_submission_file``). The instance is read into the answers the analysis reads and
recorded by the same service as the hand-written page's submissions, its XML kept beside them.
Refusals answer in plain text with a 4xx status, which the page shows as it is.
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from liaison.registry.signed_in import current_user
from liaison.surveys import access, services
from liaison.surveys.instances import MAX_INSTANCE_BYTES, InstanceRejected, parse_instance
from liaison.surveys.models import SurveyRound
from liaison.surveys.xlsform import Form, FormError
from liaison.surveys.xpath import ExpressionError


def _engine_csp() -> dict[str, Collection[str] | str]:
    """The site's policy, and the engine's WebAssembly: it parses XPath with tree-sitter compiled
    to WebAssembly, whose compiling needs 'wasm-unsafe-eval' (WebAssembly only: eval() and
    new Function() stay forbidden). On the engine's page alone; every other page keeps the
    site's policy."""
    policy: dict[str, Collection[str] | str] = {
        directive: values
        for directive, values in settings.SECURE_CSP.items()
        if isinstance(values, str | list | tuple | set)
    }
    scripts = policy.get("script-src", [CSP.SELF])
    sources = [scripts] if isinstance(scripts, str) else list(scripts)
    policy["script-src"] = [*sources, CSP.WASM_UNSAFE_EVAL]
    return policy


ENGINE_CSP = _engine_csp()

_INSTANCE_FIELD = "xml_submission_file"
_XML_TYPES = ("text/xml", "application/xml")


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _refusal(request: HttpRequest, survey_round: SurveyRound) -> tuple[str, int] | None:
    """Why the user may not answer the round now (message and status), or ``None``."""
    user = current_user(request)
    if not access.may_answer(user, survey_round):
        if not survey_round.accepts_answers:
            return _("This round does not take answers now."), 409
        return _("The questionnaire is filled by the officers of the BLOs the round covers."), 403
    mine = access.own_submission(user, survey_round)
    if mine is not None and not mine.is_draft:
        return _("You have already submitted this questionnaire."), 409
    return None


def _form(survey_round: SurveyRound) -> Form | HttpResponse:
    try:
        return survey_round.form()
    except FormError as error:
        return _text(str(error), 404)


@csp_override(ENGINE_CSP)
@login_required
@require_GET
def fill_odk(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's questionnaire in ODK Web Forms, for an officer of one of its BLOs."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    refusal = _refusal(request, survey_round)
    if refusal is not None:
        message, _status = refusal
        mine = access.own_submission(user, survey_round)
        if mine is not None and not mine.is_draft:
            messages.info(request, message)
            return redirect(mine.get_absolute_url())
        raise PermissionDenied(message)
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    return render(
        request,
        "surveys/fill_odk.html",
        {"survey_round": survey_round, "title": form.title},
    )


@login_required
@require_GET
def round_xform(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's questionnaire as the XForm XML pyxform produced from its XLSForm."""
    survey_round = access.access_round(current_user(request), pk)
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    return HttpResponse(form.xform, content_type="text/xml; charset=utf-8")


def _posted_instance(request: HttpRequest) -> bytes | None:
    upload = request.FILES.get(_INSTANCE_FIELD)
    if upload is not None:
        if upload.size is not None and upload.size > MAX_INSTANCE_BYTES:
            return bytes(upload.read(MAX_INSTANCE_BYTES + 1))
        return bytes(upload.read())
    if request.content_type in _XML_TYPES:
        return bytes(request.body)
    return None


@login_required
@require_POST
def submit_odk(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the instance ODK Web Forms submitted; 201, or a 4xx saying why not."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    refusal = _refusal(request, survey_round)
    if refusal is not None:
        message, status = refusal
        return _text(message, status)
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    data = _posted_instance(request)
    if data is None:
        return _text(
            _("Send the instance XML as the %(field)s file of a multipart form.")
            % {"field": _INSTANCE_FIELD},
            400,
        )
    try:
        instance = parse_instance(data, form)
    except InstanceRejected as rejected:
        return _text(str(rejected), 400)
    try:
        services.do_save_submission(
            survey_round,
            instance.answers,
            submit=True,
            language=translation.get_language() or "en",
            actor=user,
            request=request,
            instance=instance,
        )
    except ExpressionError as error:
        # The server's expression engine cannot evaluate every function ODK's can (pulldata(),
        # …): the instance is refused with the reason rather than recorded unchecked.
        return _text(
            _("The server cannot check these answers: %(reason)s") % {"reason": error}, 422
        )
    except services.SubmissionRejected as rejected:
        lines = [_("The answers were not recorded:")]
        lines += [f"- {error.message}" for error in rejected.errors]
        return _text("\n".join(lines), 400)
    except PermissionDenied as denied:
        return _text(str(denied) or _("Your answers cannot be taken now."), 409)
    messages.success(request, _("Thank you: your answers are submitted."))
    response = _text(_("Thank you: your answers are submitted."), 201)
    response["Location"] = reverse("surveys:round", args=[survey_round.pk])
    return response
