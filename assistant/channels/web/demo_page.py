"""The demo page: the source page's text with the widget in the corner (``?lang=es``: the
widget's ``data-lang``, so the English page shows the Spanish widget)."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

from assistant.knowledge import KnowledgeBase

TEMPLATE = Path(__file__).resolve().parent / "templates" / "demo.html"
DEFAULT_SOURCE_PAGE = Path(__file__).resolve().parents[3].parent / "shared" / "source"
DEFAULT_SOURCE_PAGE = DEFAULT_SOURCE_PAGE / "immunotherapy-page.txt"
NAVIGATION_NOISE = {"Search Menu Globe Arrow Right Close"}


def page_html(text: str) -> str:
    """Plain page text as escaped HTML: short lines become headings, others paragraphs."""
    blocks: List[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("\u2022").strip()
        if not line or line in NAVIGATION_NOISE:
            continue
        escaped = html.escape(line)
        if len(line) < 60 and not line.endswith((".", ":")) and raw.strip()[:1] != "\u2022":
            blocks.append(f"<h2>{escaped}</h2>")
        else:
            blocks.append(f"<p>{escaped}</p>")
    return "\n".join(blocks)


def _from_knowledge(knowledge: KnowledgeBase) -> str:
    """Without the page (e.g. on a server), the general topic answers stand in for it."""
    return "\n".join(
        f"<p>{html.escape(knowledge.render(entry.id, 'sms').text)}</p>"
        for entry in knowledge.entries
        if entry.source.quotes and entry.entity is None and entry.intents and not entry.params
    )


@lru_cache(maxsize=4)
def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def render_demo_page(
    source: Optional[Path],
    knowledge: KnowledgeBase,
    widget_src: str,
    widget_language: Optional[str] = None,
) -> str:
    """The page; ``widget_language`` ("en" or "es", already checked) is the widget's
    ``data-lang``, None for the widget's own choice (the page's ``lang``)."""
    path = source or DEFAULT_SOURCE_PAGE
    lang_attribute = f' data-lang="{html.escape(widget_language)}"' if widget_language else ""
    body = (
        page_html(path.read_text(encoding="utf-8"))
        if path.is_file()
        else _from_knowledge(knowledge)
    )
    return (
        _template()
        .replace("{{PAGE_HTML}}", body)
        .replace("{{WIDGET_SRC}}", html.escape(widget_src, quote=True))
        .replace("{{WIDGET_LANG}}", lang_attribute)
    )
