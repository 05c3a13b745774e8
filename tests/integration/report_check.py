#!/usr/bin/python3
"""report_check.py: checks one HTML report of `stoa report --html` against
the figures of `stoa stats --json` taken with the same options, for
tests/integration/t51-report-html.sh. Python standard library only.

    report_check.py --file FILE --dom DOM --stats JSON
                    [--text S]... [--secret S]...

FILE is the report as stoa wrote it, DOM what Chromium made of it
(--dump-dom), JSON the figures. It checks, and on the first failure prints
one line to stderr and exits 1:
  - nothing in the DOM can fetch or run anything: only the elements the
    report is made of (a whitelist: no script, img, link, iframe, a, ...),
    no on* attribute, no src/href/style attribute, no url() or @import in
    the stylesheet, the Content-Security-Policy meta with default-src
    'none'; no "NaN" or "Infinity" anywhere, every line's path made of
    finite numbers;
  - the charts (the hooks listed at the top of cli/report_html.c): the set
    of <figure class="chart" data-chart> the figures call for, each with a
    caption, one <svg role="img"> whose aria-label names it, and a
    <details> "The numbers" whose table has one row per row charted; as
    many points per series as weeks where the field is not null, as many
    bars per series as weeks or list rows;
  - the lists and tables: one row or item per row of unanswered, waiting,
    cohorts, at_risk and freshness.members; the clock section exactly when
    there is a warning; the empty report ("No activity in this window", no
    chart) exactly when no member was active in any week;
  - no control or bidi character anywhere in FILE; each --text S (less
    those characters, as the report shows it) found in the DOM's text,
    and in FILE only escaped (& < > " ' as entities): shown, never markup;
  - each --secret S: nowhere in FILE nor in the DOM, as is, cleaned or
    escaped (--pseudonyms).
"""
import argparse
import json
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
# every element the report is made of; anything else was injected
ALLOWED = {"html", "head", "meta", "title", "style", "body", "header",
           "main", "footer", "section", "p", "h1", "h2", "h3", "span",
           "strong", "code", "br", "dl", "dt", "dd", "div", "ul", "ol", "li",
           "figure", "figcaption", "svg", "g", "line", "text", "path",
           "circle", "rect", "details", "summary", "table", "thead",
           "tbody", "tr", "th", "td"}
FETCHING = {"src", "href", "xlink:href", "srcset", "action", "formaction",
            "poster", "background", "ping", "style", "data", "codebase",
            "manifest", "lowsrc", "dynsrc", "longdesc", "cite"}
WEEK_CHARTS = {
    "active": ["active", "monthly_active", "members"],
    "rate": ["rate", "stickiness"],
    "first-reply": ["first_reply_median", "first_reply_p90"],
}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, tag, cls=None, **attrs):
        for n in self.walk():
            if n.tag != tag or (cls and cls not in n.classes()):
                continue
            if all(n.attrs.get(k.replace("_", "-")) == v
                   for k, v in attrs.items()):
                yield n

    def text(self):
        out = []
        for c in self.children:
            out.append(c.text() if isinstance(c, Node) else c)
        return "".join(out)


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def fail(msg):
    sys.stderr.write("report_check: %s\n" % msg)
    sys.exit(1)


BIDI = {0x200e, 0x200f, 0x061c} | set(range(0x202a, 0x202f)) | \
    set(range(0x2066, 0x206a))


def clean(s):
    """s as a page shows it: tab and newline as spaces, the other control
    and the bidi characters removed (payload_text_clean)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if ch in "\t\n":
            out.append(" ")
        elif cp < 0x20 or 0x7f <= cp <= 0x9f or cp in BIDI:
            continue
        else:
            out.append(ch)
    return "".join(out)


def escaped(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def check_safe(root, raw):
    for n in root.walk():
        if n is root:
            continue
        if n.tag not in ALLOWED:
            fail("an element <%s> that the report never writes" % n.tag)
        for k, v in n.attrs.items():
            if k.startswith("on") or k in FETCHING:
                fail("<%s> has an attribute %s=%r" % (n.tag, k, v))
            # text shown to people may say anything; an SVG presentation
            # attribute (fill, filter, mask...) could fetch with url()
            if k == "aria-label" or k.startswith("data-"):
                continue
            if "url(" in (v or "").lower():
                fail("<%s %s=%r> names a URL" % (n.tag, k, v))
    metas = list(root.find("meta"))
    for m in metas:
        keys = set(m.attrs)
        if keys == {"charset"} or (keys == {"name", "content"} and
                                   m.attrs["name"] in
                                   ("viewport", "referrer", "generator")):
            continue
        if keys == {"http-equiv", "content"} and \
                m.attrs["http-equiv"].lower() == "content-security-policy":
            continue
        fail("an unexpected <meta %r>" % m.attrs)
    csp = [m.attrs["content"] for m in metas if "http-equiv" in m.attrs]
    if len(csp) != 1 or "default-src 'none'" not in csp[0]:
        fail("no Content-Security-Policy with default-src 'none': %r" % csp)
    styles = list(root.find("style"))
    if len(styles) != 1:
        fail("%d <style> elements, expected 1" % len(styles))
    css = styles[0].text().lower()
    for bad in ("url(", "@import", "http:", "https:", "@font-face"):
        if bad in css:
            fail("the stylesheet holds %r" % bad)
    if not list(root.find("meta", name="viewport")):
        fail("no viewport meta")
    if "@page{size:a4" not in css.replace(" ", ""):
        fail("no @page size A4 in the stylesheet")
    for i, ch in enumerate(raw):
        cp = ord(ch)
        if (cp < 0x20 and ch != "\n") or 0x7f <= cp <= 0x9f or cp in BIDI:
            fail("the file holds U+%04X at character %d" % (cp, i))
    for bad in ("NaN", "Infinity", "undefined"):
        if bad in raw:
            fail("the file holds %r" % bad)
    low = raw.lower()
    for tag in ("<script", "<img", "<iframe", "<link", "<object", "<embed",
                "<a ", "<base", "<image", "<use", "<foreignobject"):
        if tag in low:
            fail("the file holds %r" % tag)
    num = r"-?\d+(\.\d+)?"
    for p in root.find("path", "line"):
        d = p.attrs.get("d", "")
        if not re.fullmatch(r"( [ML]%s %s)+" % (num, num), d):
            fail("a line's path is not finite numbers: %r" % d)
    for n in root.walk():
        if n.tag in ("circle", "rect", "line", "text"):
            for k in ("cx", "cy", "r", "x", "y", "width", "height", "x1",
                      "y1", "x2", "y2"):
                if k in n.attrs and not re.fullmatch(num, n.attrs[k]):
                    fail("<%s %s=%r>" % (n.tag, k, n.attrs[k]))


def is_empty(st):
    if not st.get("members"):
        return True
    return not any(w.get("active") for w in st.get("weeks", []))


def body_rows(table):
    return [tr for tb in table.find("tbody") for tr in tb.find("tr")]


def check_chart(fig, hook, rows):
    caption = [c.text().strip() for c in fig.find("figcaption")]
    if len(caption) != 1 or not caption[0]:
        fail("chart %s: no caption" % hook)
    svgs = list(fig.find("svg", "plot"))
    if len(svgs) != 1:
        fail("chart %s: %d plots, expected 1" % (hook, len(svgs)))
    svg = svgs[0]
    label = svg.attrs.get("aria-label", "")
    if svg.attrs.get("role") != "img" or caption[0] not in label:
        fail("chart %s: no role=img or an aria-label without its title: %r"
             % (hook, label))
    if "viewbox" not in svg.attrs or svg.attrs.get("width") != "100%":
        fail("chart %s: the svg has no viewBox or width 100%%" % hook)
    if len([t for t in svg.find("text", "axis-label") if t.text().strip()]) < 2:
        fail("chart %s: fewer than two axis labels" % hook)
    details = list(fig.find("details"))
    if len(details) != 1 or \
            [s.text() for s in details[0].find("summary")] != ["The numbers"]:
        fail("chart %s: no <details> 'The numbers'" % hook)
    tables = list(details[0].find("table", "numbers"))
    if len(tables) != 1 or len(body_rows(tables[0])) != rows:
        fail("chart %s: its table does not have %d rows" % (hook, rows))


def count(nodes, series):
    return sum(1 for n in nodes if n.attrs.get("data-series") == series)


def check_charts(root, st):
    weeks = st["weeks"]
    figs = {}
    for f in root.find("figure", "chart"):
        hook = f.attrs.get("data-chart")
        if hook in figs:
            fail("two charts %s" % hook)
        figs[hook] = f
    if is_empty(st):
        want = set()
        empty = [p.text() for p in root.find("p", "empty")]
        if empty != ["No activity in this window"]:
            fail("an empty window without 'No activity in this window': %r"
                 % empty)
    else:
        want = {"active", "rate", "first-reply", "mentoring"}
        if st["feedback"]["topics"]:
            want.add("feedback-topics")
        if st["kudos"]["badges"]:
            want.add("kudos-badges")
        if list(root.find("p", "empty")):
            fail("a window with activity says it is empty")
    if set(figs) != want:
        fail("charts %s, expected %s" % (sorted(figs), sorted(want)))
    for hook, series in WEEK_CHARTS.items():
        if hook not in figs:
            continue
        check_chart(figs[hook], hook, len(weeks))
        points = list(figs[hook].find("circle", "point"))
        for s in series:
            exp = sum(1 for w in weeks if w.get(s) is not None)
            if count(points, s) != exp:
                fail("chart %s: %d points of %s, expected %d"
                     % (hook, count(points, s), s, exp))
        if len(points) != sum(count(points, s) for s in series):
            fail("chart %s: points of another series" % hook)
    bars = list(root.find("rect", "bar"))
    lists = {
        "mentoring": (weeks, ["learners", "learners_paired"]),
        "feedback-topics": (st["feedback"]["topics"],
                            ["feedback", "helpful"]),
        "kudos-badges": (st["kudos"]["badges"], ["count"]),
    }
    for hook, (rows, series) in lists.items():
        mine = [b for b in bars if b.attrs.get("data-chart") == hook]
        if hook not in figs:
            if mine:
                fail("bars of %s without its chart" % hook)
            continue
        check_chart(figs[hook], hook, len(rows))
        for s in series:
            exp = min(len(rows), 40) if hook != "mentoring" else len(rows)
            if count(mine, s) != exp:
                fail("chart %s: %d bars of %s, expected %d"
                     % (hook, count(mine, s), s, exp))
        inside = list(figs[hook].find("rect", "bar"))
        if len(inside) != len(mine) or len(mine) != sum(count(mine, s)
                                                          for s in series):
            fail("chart %s: bars outside it or of another series" % hook)


def check_lists(root, st):
    def items(tag, cls):
        found = list(root.find(tag, cls))
        if len(found) > 1:
            fail("two <%s class=%s>" % (tag, cls))
        return found[0] if found else None

    empty = is_empty(st)
    for cls, rows in (("unanswered", st["questions"]["unanswered"]),
                      ("waiting", st["mentoring"]["waiting"])):
        ol = items("ol", cls)
        n = len(list(ol.find("li"))) if ol else 0
        if n != (0 if empty else len(rows)):
            fail("%d items in the %s list, expected %d" % (n, cls, len(rows)))
    tables = (("cohorts", [] if empty else st["cohorts"]),
              ("at-risk", st["at_risk"]),
              ("freshness", st["freshness"]["members"]))
    for cls, rows in tables:
        t = items("table", cls)
        n = len(body_rows(t)) if t else 0
        if n != len(rows):
            fail("%d rows in the %s table, expected %d" % (n, cls, len(rows)))
    fresh = items("table", "freshness")
    for tr, row in zip(body_rows(fresh) if fresh else [],
                       st["freshness"]["members"]):
        if tr.attrs.get("data-staleness") not in ("fresh", "stale", "old"):
            fail("a freshness row without its staleness")
        if row.get("name") and clean(row["name"])[:60] not in tr.text():
            fail("the freshness row of %r does not name them" % row["name"])
        if "received" in row and row["received"] is None and \
                tr.attrs["data-staleness"] != "old":
            fail("a member never received is not marked old")
    clock = st["clock"]
    warn = bool(clock["ahead"] or clock["behind"] or
                clock["answered_before_asked"])
    if bool(list(root.find("section", "clock"))) != warn:
        fail("the clock section %s" % ("is missing" if warn else
                                       "is there without a warning"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--dom", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--text", action="append", default=[])
    ap.add_argument("--secret", action="append", default=[])
    a = ap.parse_args()
    raw = open(a.file, encoding="utf-8").read()
    dom_src = open(a.dom, encoding="utf-8").read()
    st = json.load(open(a.stats, encoding="utf-8"))
    if not raw.startswith("<!DOCTYPE html>"):
        fail("the file does not start with <!DOCTYPE html>")
    tree = Tree()
    tree.feed(dom_src)
    tree.close()
    root = tree.root
    if not list(root.find("body")) or len(dom_src) < 1000:
        fail("the DOM has no body: did the page load?")
    check_safe(root, raw)
    check_charts(root, st)
    check_lists(root, st)
    text = root.text()
    for s in a.text:
        c = clean(s)
        if c not in text:
            fail("%r is not shown in the page" % c)
        if escaped(c) == c:
            continue
        if escaped(c) not in raw:
            fail("%r is not in the file escaped" % c)
        if c in raw:
            fail("%r is in the file unescaped" % c)
    for s in a.secret:
        for where, what in (("file", raw), ("DOM", dom_src)):
            for form in (s, clean(s), escaped(clean(s))):
                if form in what:
                    fail("%r appears in the %s" % (form, where))


if __name__ == "__main__":
    main()
