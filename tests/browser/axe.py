"""axe-core (npm, pinned in package-lock.json) run inside a page: its WCAG 2.x A/AA violations.

The source is evaluated through the DevTools protocol (`page.evaluate`), not added as a <script>: the pages' CSP
forbids inline scripts and eval, and an evaluation from the debugger is not the page's own script, so the CSP
stays on and the page is checked exactly as a visitor gets it. (A context with `bypass_csp=True` would work too,
but would also hide the CSP violations the harness collects, and the page would no longer be the real one.)
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import pytest

from liveboard import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = {"serious", "critical"}

#: Started without waiting for it, so that pages in other contexts (other renderer processes) check at the same time.
START = """(tags) => {
  window.__axe = window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then(result => result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 300), summary: n.failureSummary})),
    })));
}"""


@cache
def source() -> str:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{AXE} is missing on CI: scripts/test.sh must install axe-core (npm ci)")
        pytest.skip(
            f"!!! ACCESSIBILITY CHECKS NOT RUN: {AXE} is missing. Run scripts/test.sh (it runs `npm ci`), "
            "or `npm ci --ignore-scripts` in the repository root. !!!"
        )
    return AXE.read_text(encoding="utf-8")


def start(page: Any) -> None:
    """Start axe-core on the page as it is now (injected first if the page does not have it yet)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source())
    page.evaluate(START, TAGS)


def result(page: Any, impacts: set[str] = SERIOUS) -> list[dict[str, Any]]:
    """The violations of WCAG 2.0/2.1/2.2 A and AA that `start` found, whose impact is in `impacts`."""
    return [v for v in page.evaluate("window.__axe") if v["impact"] in impacts]


def violations(page: Any, impacts: set[str] = SERIOUS) -> list[dict[str, Any]]:
    """The page's violations of WCAG 2.0/2.1/2.2 A and AA whose impact is in `impacts` (serious and critical)."""
    start(page)
    return result(page, impacts)


def report(where: str, found: list[dict[str, Any]]) -> str:
    """What axe found, readable in a failing assertion: rule, help, and each failing element."""
    lines = []
    for v in found:
        lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['html']}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)
