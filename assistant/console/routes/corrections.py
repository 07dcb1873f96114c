"""Intent corrections: the list, and the Rasa NLU YAML file for the next training."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, response

from assistant.console.review import corrections_nlu_yaml, list_corrections
from assistant.console.routes.guards import audit_staff_action
from assistant.console.routes.render import render

bp = Blueprint("corrections", url_prefix="/corrections")


@bp.get("")
async def corrections(request: Request) -> HTTPResponse:
    rows = await request.app.ctx.db.run(list_corrections)
    return render(request, "corrections.html", rows=rows, masker=request.app.ctx.masker)


@bp.get("/nlu.yml")
async def corrections_yaml(request: Request) -> HTTPResponse:
    app = request.app
    body = await app.ctx.db.run(corrections_nlu_yaml, app.ctx.masker)
    await audit_staff_action(request, "export_corrections", "corrections", "nlu.yml")
    return response.raw(
        body.encode(),
        content_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="nlu_corrections.yml"'},
    )
