"""The satisfaction survey on the phone (design §11): `/t/{token}/survey`, one question a
screen, and `POST /api/v1/tickets/{token}/survey`.

The form needs no script and no session: each screen is a form that carries the answers so
far as hidden fields and posts to the same address, which checks the screen's own answer
(a missing one is said at the field), then shows the next screen; the last one sends all of
it to the store, which takes one response per served ticket, for a day after the service.
The patron's token is the key, so a forged or replayed submission has nothing to stand on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kiosk import survey
from kiosk.config import Settings
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.i18n import t
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.web.guard import ApiError
from kiosk.web.phone import same_site, ticket_of
from kiosk.web.state import Served, served

router = APIRouter()


def steps(settings: Settings) -> list[str]:
    """The screens in order: the intro, the nine, the site's own, the profile, the last."""
    own = [q.code for q in settings.survey.questions]
    return ["intro", *survey.ELEMENTS, *own,
            *(["profile"] if settings.survey.profile else []), "last"]


def _question(settings: Settings, code: str, lang: str) -> dict[str, Any]:
    if code in survey.ELEMENTS:
        return {"code": code, "text": t(lang, f"survey.{code}.question"),
                "labels": [t(lang, f"survey.{code}.a{n}") for n in range(1, 5)]}
    own = next(q for q in settings.survey.questions if q.code == code)
    return {"code": code, "text": own.text.get(lang, code), "labels": own.labels.get(lang, [])}


def _answers(form: dict[str, str], codes: list[str]) -> dict[str, int]:
    return {code: int(form[code]) for code in codes
            if form.get(code, "").isdigit() and 1 <= int(form[code]) <= 4}


async def _open(request: Request, token: str) -> tuple[Served, Ticket] | HTMLResponse:
    """The ticket, when its survey may be answered now; else the plain page saying why."""
    from kiosk.web.pages import page

    state = served(request)
    found = await ticket_of(request, state, token)
    if isinstance(found, HTMLResponse):
        return found
    assert state.pages is not None
    why = await state.pages.run(Store.survey_open, found)
    if why is not None:
        return page(request, state.settings, f"survey.why_{why}", status=409)
    return state, found


def _render(request: Request, state: Served, ticket: Ticket, token: str, lang: str,
            step: int, form: dict[str, str], missing: bool = False) -> Response:
    settings = state.settings
    order = steps(settings)
    name = order[step]
    codes = [c for c in order if c not in ("intro", "profile", "last")]
    kept = {k: v for k, v in form.items()
            if k in codes or k in survey.PROFILE or k == "suggestion"}
    context = {
        "title": t(lang, "survey.title"), "lang": lang, "token": token, "label": ticket.label,
        "step": step, "name": name, "kept": kept, "missing": missing,
        "progress": (t(lang, "survey.question_of", n=codes.index(name) + 1, total=len(codes))
                     if name in codes else ""),
        "question": _question(settings, name, lang) if name in codes else None,
        "chosen": form.get(name, ""),
        "profile": [(field, t(lang, f"survey.profile.{field}"),
                     [(code, t(lang, f"survey.{field}.{code}")) for code in options])
                    for field, options in survey.PROFILE.items()],
        "suggestion": settings.survey.suggestion,
        "t": lambda key, **values: t(lang, key, **values),
    }
    return request.app.state.templates.TemplateResponse(
        request, "survey.html", context, status_code=422 if missing else 200,
        headers={"Cache-Control": "no-store"})


def _lang(settings: Settings, wanted: str | None, ticket: Ticket) -> str:
    return wanted if wanted in settings.site.languages else (
        ticket.lang or settings.default_language)


@router.get("/t/{token}/survey", response_class=HTMLResponse, include_in_schema=False)
async def survey_page(request: Request, token: str, lang: str | None = None) -> Response:
    found = await _open(request, token)
    if isinstance(found, HTMLResponse):
        return found
    state, ticket = found
    return _render(request, state, ticket, token, _lang(state.settings, lang, ticket), 0, {})


@router.post("/t/{token}/survey", response_class=HTMLResponse, include_in_schema=False)
async def survey_step(request: Request, token: str, lang: str | None = None) -> Response:
    """One screen's answer, then the next screen; the last one sends everything."""
    from kiosk.web.pages import page

    if not same_site(request):
        return page(request, served(request).settings, "survey.refused", status=403)
    found = await _open(request, token)
    if isinstance(found, HTMLResponse):
        return found
    state, ticket = found
    chosen = _lang(state.settings, lang, ticket)
    form = {k: str(v) for k, v in (await request.form()).items()}
    order = steps(state.settings)
    step = min(max(int(form.get("step", "0") or 0) if form.get("step", "").isdigit() else 0,
                   0), len(order) - 1)
    name = order[step]
    if form.get("go") == "back":
        return _render(request, state, ticket, token, chosen, max(step - 1, 0), form)
    if name not in ("intro", "profile", "last") and name not in _answers(form, [name]):
        return _render(request, state, ticket, token, chosen, step, form, missing=True)
    if name != "last":
        return _render(request, state, ticket, token, chosen, step + 1, form)
    codes = [c for c in order if c not in ("intro", "profile", "last")]
    try:
        assert state.pages is not None
        await state.pages.run(
            Store.answer_survey, token, _answers(form, codes),
            profile={f: form.get(f) for f in survey.PROFILE if form.get(f)},
            suggestion=form.get("suggestion") or None, via="phone")
    except UsageError:  # an answer lost on the way (a forged form): start again
        return _render(request, state, ticket, token, chosen, 1, form, missing=True)
    except NotAllowed:  # answered meanwhile (another tab), or the day has passed
        why = await state.pages.run(Store.survey_open, ticket)
        return page(request, state.settings, f"survey.why_{why or 'answered'}", status=409)
    return page(request, state.settings, "survey.thanks", status=201)


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any] = Field(description="U1..U9 (each 1-4), and the site's own codes")
    profile: dict[str, Any] | None = Field(None, description="age, sex, education, occupation")
    suggestion: str | None = Field(None, max_length=4000)


@router.post("/api/v1/tickets/{token}/survey", status_code=201, tags=["public"])
async def api_survey(token: str, body: SurveyIn, request: Request) -> dict[str, Any]:
    """The satisfaction survey of a served ticket (public: the token is the key): 201; a
    second answer, an unserved ticket or one served more than a day ago: 409; an answer
    missing or out of range: 422 naming it."""
    state = served(request)
    state.limit.check(request)
    own = tuple(q.code for q in state.settings.survey.questions)
    try:
        survey.answers_of(body.answers, own)
        survey.profile_of(body.profile)
        survey.suggestion_of(body.suggestion)
    except survey.Invalid as exc:
        raise ApiError(422, str(exc)) from None
    assert state.pages is not None
    ticket = await state.pages.run(Store.answer_survey, token, body.answers,
                                   profile=body.profile, suggestion=body.suggestion,
                                   via="api")
    return {"label": ticket.label, "answered": True}
