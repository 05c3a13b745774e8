#!/usr/bin/python3
"""report_check.py: checks one HTML report of `stoa report --html` against
the figures of `stoa stats --json` taken with the same options, for
tests/integration/t51-report-html.sh. Python standard library only.

    report_check.py --file FILE --dom DOM --stats JSON
                    [--text S]... [--secret S]...
    report_check.py --layout PROBE_DOM


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
    bars per series as weeks or list rows; each line's points of one
    shape, another than the other lines', its legend key of that shape;
    a note under a line chart for each group of lines equal in every week
    (they lie on top of each other), and none else; the x axis labels the
    first and the last week, on a wide screen and on a phone;
  - the last week: named "this week so far (since LABEL)" when it ends
    (start + 7 days, at most the window's end) after as_of, and then
    never "last week" on the page and each week chart's note says it is
    not over; else "the last week (LABEL)" and never "so far";
  - minutes and sessions per pairing: whole numbers whole, others with
    one decimal (47.5, not 48);
  - the fields figures from an older stoa lack, each checked if the JSON
    has it (the report takes figures without them): at_risk[].received
    (a "Last heard from" column marked as freshness is),
    questions.unanswered[].excerpt (shown for a question without a
    title), weeks[].new_recent (a column after "wrote within 7 days",
    and a note that that is not final for them), window.member_name
    ("NAME's own view");
  - the lists and tables: one row or item per row of unanswered, waiting,
    cohorts, at_risk and freshness.members, each freshness row marked by
    how long before "generated" its feed was received; the clock section
    exactly when
    there is a warning; the empty report ("No activity in this window", no
    chart) exactly when no member was active in any week;
  - no control or bidi character anywhere in FILE; each --text S (less
    those characters, as the report shows it) found in the DOM's text,
    and in FILE only escaped (& < > " ' as entities): shown, never markup;
  - each --secret S: nowhere in FILE nor in the DOM, as is, cleaned or
    escaped (--pseudonyms).

With --layout, PROBE_DOM is what Chromium made of t51's probe page: the
report in a frame of a phone's or a wide screen's width, measured by the
probe's script into <pre id="out"> (JSON). It checks that nothing is wider
than the screen (the page, a chart, the at-risk and freshness tables:
their status in sight; below 350 px a chart or a table may scroll, the
status still in sight), that every chart text is 11 px or more as drawn and
inside its chart, that the week labels shown do not overlap, and that no
date breaks over two lines.
"""
import argparse
import json
import math
import re
import sys
from html.parser import HTMLParser

DAY = 86400000

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
# the charts over weeks, whose x axis labels weeks
X_CHARTS = ("active", "rate", "first-reply", "mentoring")


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
    for p in root.find("path"):
        d = p.attrs.get("d", "")
        if not re.fullmatch(r"(\s*[ML]\s*%s\s+%s|\s*Z)+\s*" % (num, num), d):
            fail("a path is not finite numbers: %r" % d)
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


def short_label(s):
    """A week's label as the x axis writes it: "MM-DD" of "YYYY-MM-DD"."""
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        return s[5:]
    return clean(s)[:10]


def equal_groups(weeks, series):
    """The groups (keys joined by spaces) of series equal in every week,
    with a value in some week: their lines lie on top of each other."""
    groups, done = [], set()
    for i, a in enumerate(series):
        if a in done:
            continue
        group = [a]
        for b in series[i + 1:]:
            if b not in done and \
                    all(w.get(a) == w.get(b) for w in weeks) and \
                    any(w.get(a) is not None for w in weeks):
                group.append(b)
                done.add(b)
        if len(group) > 1:
            groups.append(" ".join(group))
    return groups


def check_lines(fig, hook, series, points, weeks):
    # each line's points one shape, another than the other lines'
    shapes = []
    for s in series:
        tags = {(n.tag, tuple(sorted(n.classes())))
                for n in points if n.attrs.get("data-series") == s}
        if len(tags) > 1:
            fail("chart %s: the points of %s are of %d shapes"
                 % (hook, s, len(tags)))
        shapes.append(tags.pop()[0] if tags else None)
    drawn = [t for t in shapes if t]
    if len(set(drawn)) != len(drawn):
        fail("chart %s: two lines' points of the same shape: %r"
             % (hook, shapes))
    # the legend: one key per line, of its points' shape, and its name
    legends = list(fig.find("ul", "legend"))
    items = list(legends[0].find("li")) if len(legends) == 1 else []
    if len(items) != len(series):
        fail("chart %s: %d legend items for %d lines"
             % (hook, len(items), len(series)))
    names = [li.text().strip() for li in items]
    if len(set(names)) != len(names) or not all(names):
        fail("chart %s: legend names %r" % (hook, names))
    for li, shape, s in zip(items, shapes, series):
        marks = [n for n in li.walk() if "mark" in n.classes()]
        if len(marks) != 1 or (shape and marks[0].tag != shape):
            fail("chart %s: the legend key of %s is not its points' %s"
                 % (hook, s, shape))
    # a note for each group of lines equal in every week, and none else
    notes = [p.attrs.get("data-series") for p in fig.find("p", "overlap")]
    want = equal_groups(weeks, series)
    if notes != want:
        fail("chart %s: notes of lines on top of each other %r, expected %r"
             % (hook, notes, want))


def check_x_labels(fig, hook, weeks):
    groups = list(fig.find("g", "xlabels"))
    if len(groups) != 1:
        fail("chart %s: %d groups of week labels" % (hook, len(groups)))
    texts = list(groups[0].find("text"))
    if not weeks:
        return
    for name, t, w in (("first", texts[0] if texts else None, weeks[0]),
                       ("last", texts[-1] if texts else None, weeks[-1])):
        if t is None or t.text() != short_label(w.get("label") or "") or \
                t.classes() != ["tick"]:
            fail("chart %s: the x axis does not label the %s week (%s) on "
                 "every screen: %r" % (hook, name, w.get("label"),
                                       [x.text() for x in texts]))
    shown = {w: [short_label(x.text()) for x in texts
                 if ("%s-only" % o) not in x.classes()]
             for w, o in (("wide", "narrow"), ("narrow", "wide"))}
    labels = [short_label(w.get("label") or "") for w in weeks]
    for screen, got in shown.items():
        pos = [labels.index(x) if x in labels else -1 for x in got]
        if -1 in pos or pos != sorted(set(pos)):
            fail("chart %s: the %s screen's week labels %r are not weeks "
                 "in order" % (hook, screen, got))


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
        points = [n for n in figs[hook].walk() if "point" in n.classes()]
        for s in series:
            exp = sum(1 for w in weeks if w.get(s) is not None)
            if count(points, s) != exp:
                fail("chart %s: %d points of %s, expected %d"
                     % (hook, count(points, s), s, exp))
        if len(points) != sum(count(points, s) for s in series):
            fail("chart %s: points of another series" % hook)
        check_lines(figs[hook], hook, series, points, weeks)
    for hook in X_CHARTS:
        if hook in figs:
            check_x_labels(figs[hook], hook, weeks)
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


def staleness(row, now):
    """As the freshness table marks a member: received less than a day
    before "generated", less than 7 days, or longer ago or never."""
    r = row.get("received")
    if not isinstance(r, (int, float)) or not isinstance(now, (int, float)):
        return "old"
    age = now - r
    return "fresh" if age < DAY else "stale" if age < 7 * DAY else "old"


def last_week_so_far(st):
    """Whether the window's last week ends after as_of: then it is this
    week, not over."""
    w, weeks = st["window"], st["weeks"]
    if not weeks or not isinstance(weeks[-1].get("start"), int):
        return False
    return min(weeks[-1]["start"] + 7 * DAY, w["end"]) > w["as_of"]


def one_decimal(v):
    """A figure as the report writes it: whole, or with one decimal."""
    if v is None:
        return "—"
    r = math.floor(v * 10 + 0.5) / 10
    return "%.0f" % r if r == math.floor(r) else "%.1f" % r


def figure(root, label):
    """The <dd> text of the <dt> label in the report's figures."""
    for div in root.find("div"):
        kids = [n for n in div.children if isinstance(n, Node)]
        if len(kids) == 2 and kids[0].tag == "dt" and \
                kids[0].text() == label and kids[1].tag == "dd":
            return kids[1].text()
    return None


def check_wording(root, st):
    text = root.text()
    empty = is_empty(st)
    if not empty:
        label = st["weeks"][-1]["label"]
        dts = [dt.text() for sec in root.find("section", "participation")
               for dt in sec.find("dt")]
        if last_week_so_far(st):
            want = ["Active this week so far (since %s)" % label,
                    "Participation rate, this week so far (since %s)" % label]
            if "last week" in text.lower():
                fail("the last week is this week, not over, but the page "
                     "says 'last week'")
            for fig in root.find("figure", "chart"):
                if fig.attrs.get("data-chart") not in X_CHARTS:
                    continue
                notes = " ".join(p.text() for p in fig.find("p", "note"))
                if "This week (since %s) is not over" % label not in notes:
                    fail("chart %s does not say this week is not over"
                         % fig.attrs.get("data-chart"))
        else:
            want = ["Active in the last week (%s)" % label,
                    "Participation rate, the last week (%s)" % label]
            if "so far" in text or "is not over" in text:
                fail("the last week is over, but the page says 'so far'")
        for w in want:
            if w not in dts:
                fail("no figure %r in %r" % (w, dts))
        m = st["mentoring"]
        for label, key in (("Sessions per pairing", "sessions_per_pairing"),
                           ("Minutes per pairing", "minutes_per_pairing")):
            got = figure(root, label)
            if got != one_decimal(m[key]):
                fail("%s: %r for %r, expected %r"
                     % (label, got, m[key], one_decimal(m[key])))
        # new members still in their first 7 days (too recent to tell
        # whether they write within them), beside "wrote within 7 days"
        figs = [f for f in root.find("figure", "chart")
                if f.attrs.get("data-chart") == "active"]
        table = list(figs[0].find("table", "numbers"))[0]
        heads = [th.text() for th in table.find("th") if
                 th.attrs.get("scope") == "col"]
        col = [i for i, h in enumerate(heads)
               if h == "New, still in their first 7 days"]
        recent = bool(st["weeks"]) and "new_recent" in st["weeks"][0]
        wrote = "New, wrote within 7 days"
        if recent != bool(col) or wrote not in heads or \
                (col and heads.index(wrote) + 1 != col[0]):
            fail("the weekly numbers' columns %r, with new_recent %s"
                 % (heads, recent))
        notes = " ".join(p.text() for p in figs[0].find("p", "note"))
        if recent and "not final for the new members still in their " \
                "first 7 days" not in notes:
            fail("the active chart does not say 'wrote within 7 days' is "
                 "not final for the recent: %r" % notes)
        if col:
            for tr, w in zip(body_rows(table), st["weeks"]):
                cells = [tr.children[i] for i in range(len(tr.children))
                         if isinstance(tr.children[i], Node)]
                if cells[col[0]].text() != str(w["new_recent"]):
                    fail("week %s: too recent %r, expected %r"
                         % (w["label"], cells[col[0]].text(),
                            w["new_recent"]))
    # questions without a title: their excerpt, if the JSON has one
    ol = list(root.find("ol", "unanswered"))
    for li, row in zip(ol[0].find("li") if ol else [],
                       st["questions"]["unanswered"]):
        shown = li.text()
        if row.get("title"):
            if clean(row["title"])[:100] not in shown:
                fail("the question %r is not shown" % row["title"])
        elif row.get("excerpt"):
            ex = [n.text() for n in li.find("span", "excerpt")]
            if len(ex) != 1 or clean(row["excerpt"])[:60] not in ex[0] or \
                    "(no title)" in shown:
                fail("the question without a title does not show its "
                     "excerpt %r: %r" % (row["excerpt"], shown))
        elif "(no title)" not in shown:
            fail("a question without title or excerpt: %r" % shown)
    # --member: whose own view
    w = st["window"]
    views = [p.text() for p in root.find("p", "member-view")]
    if w.get("member") is None:
        if views:
            fail("a member's view without --member: %r" % views)
    elif w.get("member_name"):
        want = clean(w["member_name"])[:60]
        if len(views) != 1 or not views[0].startswith(want) or \
                "'s own view" not in views[0]:
            fail("the header does not say it is %r's own view: %r"
                 % (w["member_name"], views))
    elif len(views) != 1 or not views[0].startswith("One member's own view"):
        fail("the header does not say it is one member's view: %r" % views)


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
        want = staleness(row, st.get("generated"))
        if tr.attrs.get("data-staleness") != want:
            fail("the freshness row of %r is marked %r, expected %r"
                 % (row.get("name"), tr.attrs.get("data-staleness"), want))
        if [n.classes() for n in tr.find("span", "status")] != \
                [["status", want]]:
            fail("the freshness row of %r has no status %r"
                 % (row.get("name"), want))
        if row.get("name") and clean(row["name"])[:60] not in tr.text():
            fail("the freshness row of %r does not name them" % row["name"])
    risk = items("table", "at-risk")
    heard = bool(st["at_risk"]) and "received" in st["at_risk"][0]
    heads = [th.text() for th in risk.find("th")] if risk else []
    if ("Last heard from" in heads) != heard:
        fail("the at-risk table %s a 'Last heard from' column"
             % ("lacks" if heard else "has"))
    for tr, row in zip(body_rows(risk) if risk else [], st["at_risk"]):
        cells = list(tr.find("td", "heard"))
        if not heard:
            if cells:
                fail("an at-risk row heard from without 'received'")
            continue
        want = staleness(row, st.get("generated"))
        if len(cells) != 1 or cells[0].attrs.get("data-staleness") != want \
                or [n.classes() for n in cells[0].find("span", "status")] \
                != [["status", want]]:
            fail("the at-risk row of %r is not marked heard from %r"
                 % (row.get("name"), want))
    clock = st["clock"]
    warn = bool(clock["ahead"] or clock["behind"] or
                clock["answered_before_asked"])
    if bool(list(root.find("section", "clock"))) != warn:
        fail("the clock section %s" % ("is missing" if warn else
                                       "is there without a warning"))


MIN_PX = 11  # the smallest chart text a phone may draw, in CSS px


def check_layout(path):
    tree = Tree()
    tree.feed(open(path, encoding="utf-8").read())
    tree.close()
    out = [p.text() for p in tree.root.find("pre") if
           p.attrs.get("id") == "out"]
    try:
        m = json.loads(out[0])
    except (IndexError, ValueError):
        fail("layout: the probe measured nothing: %r" % out[:1])
    if "error" in m:
        fail("layout: the probe failed: %s" % m["error"])
    vw = m["viewport"]
    where = "at %d px" % vw
    if m["page_width"] > vw:
        fail("layout %s: the page is %d px wide" % (where, m["page_width"]))
    if not m["charts"] or not m["status"] or not m["dates"]:
        fail("layout %s: no chart, status or date measured" % where)
    for c in m["charts"]:
        name = "chart %s %s" % (c["chart"], where)
        # below 350 px a chart keeps its text readable and scrolls
        if c["scroll"][0] > c["scroll"][1] and vw >= 350:
            fail("%s: scrolls, %d px in %d" % ((name,) + tuple(c["scroll"])))
        svg = c["svg"]
        labels = []
        for t in c["texts"]:
            if t["px"] < MIN_PX - 0.05:
                fail("%s: %r drawn at %.1f px, less than %d"
                     % (name, t["text"], t["px"], MIN_PX))
            b = t["box"]
            if b[0] < svg[0] - 1 or b[2] > svg[2] + 1:
                fail("%s: %r (%.0f..%.0f) is cut at the chart's edge "
                     "(%.0f..%.0f)" % (name, t["text"], b[0], b[2], svg[0],
                                      svg[2]))
            if t["xlabel"]:
                labels.append(t)
        labels.sort(key=lambda t: t["box"][0])
        for a, b in zip(labels, labels[1:]):
            if b["box"][0] < a["box"][2] + 2:
                fail("%s: the week labels %r and %r overlap"
                     % (name, a["text"], b["text"]))
    for st in m["status"]:
        b, sc = st["box"], st["scroll"]
        if b[2] > min(vw, sc[2]) + 0.5 or b[0] < max(0, sc[0]) - 0.5:
            fail("layout %s: the %s table's status %r is out of sight "
                 "(%.0f..%.0f; the table %d px in %d)"
                 % (where, st["table"], st["text"], b[0], b[2], st["sw"][0],
                    st["sw"][1]))
        # below 350 px the table may scroll, its status still in sight
        if st["sw"][0] > st["sw"][1] and vw >= 350:
            fail("layout %s: the %s table scrolls, %d px in %d"
                 % (where, st["table"], st["sw"][0], st["sw"][1]))
    for d in m["dates"]:
        if d["lines"] > 1:
            fail("layout %s: the date %r breaks over %d lines"
                 % (where, d["text"], d["lines"]))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--layout":
        check_layout(sys.argv[2])
        return
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
    check_wording(root, st)
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
