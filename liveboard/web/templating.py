"""Jinja2 templates: autoescaped everywhere, with gettext and Babel formatting bound to the current language."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from liveboard import ROOT, i18n
from liveboard.domain.audit import describe as audit_describe
from liveboard.domain.audit import label as audit_label
from liveboard.web import static_files
from liveboard.web.security import text_size

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    # Markdown exports escape with their own filter; everything else is HTML and always escaped.
    autoescape=jinja2.select_autoescape(disabled_extensions=("md",), default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
ENV.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext)  # type: ignore[attr-defined]
_plural = ENV.globals["ngettext"]


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, count: int, /, **variables: Any) -> str:
    """ngettext whose `%(num)s` is the count formatted for the language ("1.234 noter"), like `number`; a
    template may pass `num=` itself (a median of 2.5 days chooses the plural by 2 and shows "2,5")."""
    variables.setdefault("num", i18n.number(count))
    return _plural(context, singular, plural, count, **variables)


ENV.globals["ngettext"] = _ngettext
# Dates, times and numbers a person reads: Babel, for the current language and the given time zone (see i18n).
ENV.filters["time"] = i18n.time
ENV.filters["datetime"] = i18n.date_time
ENV.filters["date"] = i18n.date
ENV.filters["long_date"] = i18n.long_date
ENV.filters["day"] = i18n.date
ENV.filters["number"] = i18n.number
ENV.filters["zone"] = i18n.zone
ENV.filters["percent"] = i18n.percent
ENV.filters["local_input"] = lambda moment, timezone: i18n.local(moment, timezone).strftime("%Y-%m-%dT%H:%M")
ENV.globals["lang"] = i18n.current.get
ENV.globals["LANGUAGES"] = i18n.LANGUAGES
# "large" when this browser chose the large-text mode (?text=large, remembered in a cookie by web.security).
ENV.globals["text_size"] = text_size.get
ENV.globals["audit_label"] = audit_label
ENV.globals["audit_describe"] = audit_describe
# Static files by address with their digest, so browsers may keep them (web/static_files.py).
ENV.globals["static"] = static_files.url


def markdown_text(value: object) -> str:
    """User text inside Markdown: characters that would start markup or HTML are escaped, lines kept flat."""
    text = " ".join(str(value).split())
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+-.!|~&" else c for c in text)


ENV.filters["md"] = markdown_text


def in_language(value: object, language: str) -> Markup:
    """What people typed, inside a sentence of the interface: a `<span lang>` of its event's or series' language,
    so a screen reader reads a Danish title on the English page in a Danish voice (WCAG 3.1.2). Where the text
    fills an element of its own, the element carries `lang` instead."""
    return Markup('<span lang="{}">{}</span>').format(language, value)


ENV.filters["in_lang"] = in_language


def render(name: str, /, **context: Any) -> str:
    """Render a page or fragment in the current language. The live layer calls this too, without a request."""
    return ENV.get_template(name).render(**context)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("request", request)
    return HTMLResponse(render(name, **context), status_code=status_code)
