"""The layout and accessibility crawl: every page a role reaches from the menu, at phone, laptop
and desktop widths, in both languages.

For each page it checks that the document is no wider than the window, that no table cell clips
its text, that a table wider than its box scrolls only inside a marked region (focusable,
labelled) and only on a phone (from 1024 px every column shows), that on a phone every control
is a 44 px tap target and every field as wide as its box, and that axe-core finds no WCAG 2.1
A/AA violation. Used by ``pacte/tests/browser/test_layout_crawl.py``; the functions take
a Playwright page so that the same crawl can be pointed at a running server by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.templatetags.static import static

WIDTHS = (390, 1024, 1440)
#: Widths where every column of every table must show without scrolling.
FULL_WIDTH_FROM = 1024
#: Widths where the page is used one-handed: 44 px tap targets, full-width fields.
PHONE_UP_TO = 768
HEIGHT = 900
AXE_VERSION = "4.14.1"
AXE_STATIC = f"vendor/axe-core-{AXE_VERSION}/axe.min.js"
AXE_PATH = Path(settings.BASE_DIR) / "static" / AXE_STATIC
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe runs at every width; its colour-contrast rule (two thirds of its time) at this one only:
#: colours do not depend on the width (what only phones show is audited by the phone test).
CONTRAST_WIDTH = 1440

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Links the crawl never follows: actions, downloads, the API and its documentation.
SKIP_RE = re.compile(
    r"^/(api/|static/|account/(logout|language|workspace)/)|\.(csv|xlsx|pdf|json|ico|svg)$|/export/"
)

# Measures the page at the current width (see the module docstring for what is checked).
MEASURE_JS = """
([fullWidth, phone]) => {
  const problems = [];
  const root = document.documentElement;
  const viewport = root.clientWidth;
  if (root.scrollWidth > viewport) {
    problems.push({kind: "page-wider-than-window",
                   detail: `document ${root.scrollWidth}px > window ${viewport}px`});
  }
  const describe = (el) => {
    const table = el.closest("table");
    const heading = table && (table.caption?.textContent || table.getAttribute("aria-label"));
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `${heading ? "[" + heading.trim().slice(0, 30) + "] " : ""}${el.tagName.toLowerCase()} "${text}"`;
  };
  const visible = (el) => el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true});
  const scroller = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden" || overflow === "clip") {
        return node;
      }
    }
    return null;
  };
  for (const cell of document.querySelectorAll("main td, main th")) {
    if (!visible(cell)) continue;
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push({kind: "cell-clips-text",
                     detail: `${describe(cell)} ${cell.scrollWidth}px in ${cell.clientWidth}px`});
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    if (!visible(table)) continue;
    const box = scroller(table);
    if (!box || box.scrollWidth <= box.clientWidth + 1) continue;
    const first = table.querySelector("th, td");
    const what = first ? describe(first) : "table";
    if (fullWidth) {
      problems.push({kind: "hidden-columns",
                     detail: `${what}: table ${box.scrollWidth}px in a ${box.clientWidth}px box`});
      continue;
    }
    const overflow = getComputedStyle(box).overflowX;
    if (overflow === "hidden" || overflow === "clip") {
      problems.push({kind: "table-cut", detail: `${what}: cut by an overflow: ${overflow} box`});
    } else if (box.tabIndex < 0 || !(box.getAttribute("aria-label") || box.getAttribute("aria-labelledby"))
               || box.getAttribute("role") !== "region" || !box.classList.contains("table-scroll")) {
      problems.push({kind: "unmarked-scroll-region",
                     detail: `${what}: scrolls in a box without role=region, tabindex, label and cue`});
    }
  }
  if (phone) {
    // One-handed use: 44 px tap targets; fields as wide as their box (outside tables).
    const controls = "main :is(button, [role=button], select, textarea, summary, " +
      "input:not([type=hidden], [type=checkbox], [type=radio])), header :is(summary, button)";
    for (const control of document.querySelectorAll(controls)) {
      if (!visible(control)) continue;
      const box = control.getBoundingClientRect();
      const what = `${control.tagName.toLowerCase()} "${(control.textContent || control.name || "").trim().slice(0, 30)}"`;
      if (box.height < 43.5) {
        problems.push({kind: "small-tap-target", detail: `${what} ${Math.round(box.height)}px high`});
      }
      if (control.matches("input, select, textarea") && !control.closest("td, th")) {
        const room = control.parentElement.getBoundingClientRect().width;
        if (box.width < room - 2) {
          problems.push({kind: "narrow-field",
                         detail: `${what} ${Math.round(box.width)}px of ${Math.round(room)}px`});
        }
      }
    }
  }
  return problems;
}
"""

# The page's markup, less what changes between two people seeing the same page: the CSRF token,
# the name in the header (cut to its box), chart ids. The same markup lays out the same way.
MARKUP_JS = """
() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((i) => i.removeAttribute("value"));
  copy.querySelector("body").removeAttribute("hx-headers");
  copy.querySelectorAll("[_echarts_instance_]").forEach((chart) => chart.removeAttribute("_echarts_instance_"));
  copy.querySelectorAll(".who").forEach((who) => { who.textContent = "x"; who.removeAttribute("title"); });
  return copy.outerHTML;
}
"""

LINKS_JS = """
() => {
  const pick = (selector) => Array.from(document.querySelectorAll(selector))
    .filter((a) => !a.hasAttribute("download") && a.target !== "_blank")
    .map((a) => a.href);
  return {menu: pick("header nav a[href]"), main: pick("main a[href]")};
}
"""


@dataclass(frozen=True)
class Problem:
    role: str
    language: str
    width: int
    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.role} {self.language} {self.width}px {self.path}: {self.kind}: {self.detail}"


@dataclass
class Visit:
    role: str
    language: str
    path: str
    status: int


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    #: Markup already checked (another role saw the very same page): checked once.
    checked: set[str] = field(default_factory=set)

    def pages(self) -> list[str]:
        """The visited pages, one line each: role and path."""
        seen: dict[tuple[str, str], None] = {}
        for visit in self.visits:
            seen.setdefault((visit.role, visit.path), None)
        return [f"{role} {path}" for role, path in seen]


def route_of(path: str) -> str:
    """The page a path shows, ids blanked: one visit per kind of page."""
    return UUID_RE.sub("<uuid>", urlsplit(path).path)


def local_path(base: str, href: str) -> str | None:
    """The path (and query) of a link to a crawlable page of the site, else None."""
    url = urlsplit(urljoin(base + "/", href))
    site = urlsplit(base)
    if (url.scheme, url.netloc) != (site.scheme, site.netloc):
        return None
    if SKIP_RE.search(url.path):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def login(page: Any, base: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/account/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]:not([name])").click()
    page.wait_for_url(f"{base}/")


def set_language(page: Any, base: str, language: str) -> None:
    """Switch through the header's language button (hidden in the phone menu: click it by
    script, the form posts with its CSRF token as a person's click would)."""
    page.goto(f"{base}/")
    if page.locator("html").get_attribute("lang") == language:
        return
    with page.expect_navigation():
        page.locator(f'button[name=language][value="{language}"]').evaluate("b => b.click()")
    assert page.locator("html").get_attribute("lang") == language


def measure(page: Any, width: int) -> list[dict[str, str]]:
    page.set_viewport_size({"width": width, "height": HEIGHT})
    # Two frames: resize observers (the table regions) run after the first one's layout.
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    return list(page.evaluate(MEASURE_JS, [width >= FULL_WIDTH_FROM, width < PHONE_UP_TO]))


def axe(page: Any, base: str, *, contrast: bool = True) -> list[dict[str, str]]:
    """axe-core's WCAG 2.1 A/AA violations of the page as it is now (``contrast=False`` leaves
    out the colour-contrast rule).

    The test injects the vendored release file; pages never load it. It is injected by URL
    (the live server serves it as a static file) rather than inlined: the browser then keeps
    its compiled code between pages, which saves a third of a second per page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=base + static(AXE_STATIC))
    result = page.evaluate(
        """async ([tags, contrast]) => {
          const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                             rules: {"color-contrast": {enabled: contrast}},
                                             resultTypes: ["violations"]});
          return r.violations.map((v) => ({
            kind: `axe:${v.id}`,
            detail: `${v.impact}: ${v.help} — ` + v.nodes.slice(0, 3)
              .map((n) => n.target.join(" ")).join(", ") + (v.nodes.length > 3 ? ` (+${v.nodes.length - 3})` : ""),
          }));
        }""",
        [AXE_TAGS, contrast],
    )
    return list(result)


def check(page: Any, base: str, report: Report, role: str, language: str, path: str) -> None:
    for width in WIDTHS:
        found = measure(page, width)
        try:
            found += axe(page, base, contrast=width == CONTRAST_WIDTH)
        except Exception as exc:  # axe itself failed on this page: say where
            found.append({"kind": "axe-error", "detail": str(exc).splitlines()[0]})
        for kind, detail in dict.fromkeys((item["kind"], item["detail"]) for item in found):
            report.problems.append(Problem(role, language, width, path, kind, detail))


def problems_here(page: Any, base: str, widths: Iterable[int] = WIDTHS) -> list[str]:
    """The crawl's checks on the page as it is now, for a browser test that walks a job
    through the pages (``assert crawl.problems_here(page, url) == []`` after each step); the
    window is put back to its size."""
    size = page.viewport_size
    path = urlsplit(page.url).path
    language = page.locator("html").get_attribute("lang") or ""
    found: list[str] = []
    for width in widths:
        measured = measure(page, width) + axe(page, base, contrast=width == CONTRAST_WIDTH)
        found += [f"{width}px {path} ({language}): {m['kind']}: {m['detail']}" for m in measured]
    if size:
        page.set_viewport_size(size)
    return list(dict.fromkeys(found))


def visit(page: Any, base: str, report: Report, role: str, language: str, path: str) -> bool:
    """Open a page and check it; False when it is not an HTML page that answered. The page loads
    at the narrowest width, as on a phone, and is then widened."""
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    response = page.goto(base + path)
    status = response.status if response is not None else 0
    report.visits.append(Visit(role, language, path, status))
    if status >= 400:
        report.problems.append(Problem(role, language, 0, path, "http-error", f"status {status}"))
        return False
    content_type = response.headers.get("content-type", "") if response is not None else ""
    if "text/html" not in content_type:
        return False
    # Some pages load a part with htmx as they open (the cascade preview): measure what settles.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    markup = hashlib.sha256(page.evaluate(MARKUP_JS).encode()).hexdigest()
    if markup not in report.checked:
        report.checked.add(markup)
        check(page, base, report, role, language, path)
    return True


def crawl_role(
    page: Any,
    base: str,
    role: str,
    languages: Iterable[str] = ("en", "fr"),
    *,
    report: Report,
    skip_routes: set[str] | None = None,
) -> list[str]:
    """Visit the home page, every page it links to (menu and content), and every page linked
    from the content of those (one per kind of page), in the first language; then the same
    pages in the others. Pages deeper than the home page's links are left out when their kind
    is in ``skip_routes`` (another role saw it). Returns the paths visited."""
    first, *others = list(languages)
    skip = skip_routes or set()
    set_language(page, base, first)
    queue: list[tuple[str, int]] = [("/", 0)]
    queued = {route_of("/")}
    visited: list[str] = []
    while queue:
        path, depth = queue.pop(0)
        if not visit(page, base, report, role, first, path):
            continue
        visited.append(path)
        if depth >= 2:
            continue
        links = page.evaluate(LINKS_JS)
        targets = _paths(base, links["menu"] if depth == 0 else []) + _paths(base, links["main"])
        for target in targets:
            route = route_of(target)
            if route in queued or (depth > 0 and route in skip):
                continue
            queued.add(route)
            queue.append((target, depth + 1))
    for language in others:
        set_language(page, base, language)
        for path in visited:
            visit(page, base, report, role, language, path)
    return visited


def _paths(base: str, hrefs: Iterable[str]) -> list[str]:
    found: list[str] = []
    for href in hrefs:
        path = local_path(base, href)
        if path is not None and path not in found:
            found.append(path)
    return found
