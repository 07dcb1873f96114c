"""Jinja2 rendering with autoescaping on: patient text is always shown as text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import HTTPResponse, Request, response

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "svg"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: f"{100 * value:.1f} %"
    return env


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    app = request.app
    tz = app.ctx.tz

    def localtime(at: Optional[float], fmt: str = "%Y-%m-%d %H:%M") -> str:
        return datetime.fromtimestamp(at, tz).strftime(fmt) if at else ""

    staff = getattr(request.ctx, "staff", None)
    knowledge = getattr(app.ctx, "knowledge", None)
    body = app.ctx.templates.get_template(template).render(
        staff=staff,
        user=staff.user if staff else None,
        csrf_token=staff.csrf_token if staff else "",
        localtime=localtime,
        timezone=app.ctx.settings.timezone,
        idle_timeout_s=app.ctx.settings.idle_timeout_s,
        path=request.path,
        # the nav's count (None until the knowledge was first read; never reads files here)
        translations_to_do=knowledge.translations_to_do() if staff and knowledge else None,
        **context,
    )
    return response.html(body, status=status)
