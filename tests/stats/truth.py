#!/usr/bin/python3
"""truth.py: what `stoa stats --json` must print, computed from the events
that tests/tools/stats_gen wrote into a home, from docs/stats.md alone (a
second implementation: it never looks at node/stats.c).

    truth.py expect --events E --ids I --keys K --community NAME [--now MS]
                    [--since DATE] [--until DATE] [--topic T] [--member M]
                    [--limit N]
        prints the expected JSON object (one line)
    truth.py compare EXPECTED ACTUAL [--max N]
        compares the expected object with stoa's, field by field; prints
        the first N mismatches (path, expected, got) and exits 1 on any
    truth.py same A B [--max N]
        two stoa outputs of homes holding the same entries: equal but for
        what this node's own clock says (generated, received, last_sync)

E is the events (JSON lines, as scenario.py writes them), I the entry ids
stats_gen printed (one a line, in the events' order), K its --keys file
("INDEX KEY" lines). The home must have been made by stats_gen --create
(member 0 founded it with its first event), and only the founder may write
governance records (an author may erase its own entries): the rules of
docs/governance.md reduce then to "the founder's last record wins".

What is compared and how:
- `generated`, each freshness member's `received` and `last_sync` are this
  node's own clock: only their type is compared (an integer; `received`
  and `last_sync` may be null).
- `now` (the ahead rule, and as_of when the window ends after it) is the
  wall clock, or --now: the tests keep every date far from it.
- Shares are a / b computed once, in doubles, as the C code computes them,
  so they are compared exactly (no tolerance).

Where docs/stats.md leaves a choice open, the reading taken is marked
"READING:" below. In short:
- governance is the state now (the hide in force, the removal, the role),
  whatever the record's date against the window;
- a member counts in a window if not removed and joined (first plausible
  entry, of any kind) before its end; a member joining later does not
  exist there (no row anywhere); `removed` is every removed member held,
  whatever the filters; --member of a removed member, or of one with no
  plausible date, counts no member;
- activity: feedback on one's own post and kudos to oneself are not
  activity ("counts nowhere"); feedback on a hidden or a removed member's
  post, and a reply to one, are; the topic of a reply is its own, of a
  feedback its post's, of mentoring its ask's;
- answered_before_asked counts, of the questions asked in the window,
  those whose first answer is dated before them, and those whose first
  helpful feedback by another member is (docs/stats.md §3); unanswered is of those questions; waiting is every request
  dated before end, in the window or before, that no accept took;
- with --member, feedback and kudos are what M gave or received (§1), and
  so are their breakdowns, topics[] and badges[];
- kudos to a removed member or to a key that is no member count nowhere;
- freshness is the store as held (every entry, whatever its date), of the
  members counted; its order is by `received`, this node's own clock, so
  it is not checked (ORDERLESS);
- clock counts the posts, replies, feedback, mentoring records and kudos
  (§3) held, hidden or erased too, of every member not removed, whatever
  the window or topic (with --member, M's only): a member whose only
  wrong-dated entry is a profile is in no row (§2);
- ties: oldest first by (ts, id), longest silent by (last_active, key),
  lists of counts by (count descending, name).
"""
import argparse
import datetime
import json
import sys

DAY = 86400000
WEEK = 7 * DAY
MONTH = 28 * DAY
SKEW = DAY                   # ahead of now, behind the founding
UNANSWERED = 48 * 3600000
AT_RISK = 14 * DAY
NEW_WROTE = 7 * DAY
COHORT_WEEKS = 8
WEEKS_MAX = 520
LIMIT_DEFAULT = 20

KINDS = {
    "profile": "profile", "post": "post", "feedback": "feedback",
    "offer": "offer", "mentor_offer": "offer",
    "request": "request", "mentor_request": "request",
    "accept": "accept", "mentor_accept": "accept",
    "session": "session", "mentor_session": "session",
    "close": "close", "mentor_close": "close",
    "kudos": "kudos", "role": "role", "hide": "hide", "unhide": "unhide",
    "erase": "erase", "report": "report", "remove": "remove",
}
GOV = {"role", "hide", "unhide", "erase", "report", "remove"}
REF_FIELD = {"post": "reply_to", "feedback": "target", "accept": "target",
             "hide": "target", "unhide": "target", "erase": "target",
             "report": "target", "session": "pairing", "close": "pairing"}
TO_FIELD = {"kudos": "to", "role": "member", "remove": "member"}
# "Writing something": a profile and the governance records are not
ACTIVITY = {"post", "feedback", "offer", "request", "accept", "session",
            "close", "kudos"}


class Entry:
    __slots__ = ("i", "id", "author", "seq", "kind", "ts", "p")


def date_ms(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%d")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def excerpt(body):
    """An untitled question's start (docs/stats.md §5): the body, its
    white space skipped, up to the next newline (a '\\r' before it
    dropped), at most 80 bytes, cut before a UTF-8 continuation byte."""
    line = body.lstrip(" \t\n\r\v\f").encode().split(b"\n")[0]
    if line.endswith(b"\r"):
        line = line[:-1]
    if len(line) > 80:
        k = 80
        while k > 0 and line[k] & 0xC0 == 0x80:
            k -= 1
        line = line[:k]
    return line.decode()


def day_label(ms):
    return datetime.datetime.fromtimestamp(
        ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


def rank(values, p):
    """Nearest rank: the value at rank ceil(p/100 * n) of the sorted values."""
    if not values:
        return None
    v = sorted(values)
    r = (p * len(v) + 99) // 100
    return v[max(r, 1) - 1]


def share(a, b):
    return None if b == 0 else a / b


class Community:
    """The entries stats_gen stored, and what governance makes of them."""

    def __init__(self, events, ids, keys, community):
        self.community = community
        if len(events) != len(ids):
            raise SystemExit("truth.py: %d events but %d ids" %
                             (len(events), len(ids)))
        self.entries = []
        count = {}
        for i, ev in enumerate(events):
            e = Entry()
            e.i, e.id, e.author = i, ids[i], keys[ev["m"]]
            e.kind = KINDS[ev["kind"]]
            e.ts = ev["ts"]
            e.p = dict(ev.get("payload", {}))
            if "ref" in ev:
                e.p[REF_FIELD[e.kind]] = ids[ev["ref"]]
            if "to" in ev:
                to = keys[ev["to"]]
                e.p[TO_FIELD[e.kind]] = to
                if e.kind == "remove":
                    e.p.setdefault("seq", count.get(to, 0))
            count[e.author] = count.get(e.author, 0) + 1
            e.seq = count[e.author]
            self.entries.append(e)
        self.founder = keys[0]
        first = [e.ts for e in self.entries
                 if e.author == self.founder and e.seq == 1]
        if not first:
            raise SystemExit("truth.py: member 0's first entry is not among "
                             "the events (a home made by stats_gen --create "
                             "is needed)")
        # the founder's entries' dates by seq: the founding is the first
        # not dated ahead of now (expect() knows now)
        self.founder_ts = [e.ts for e in sorted(
            (e for e in self.entries if e.author == self.founder),
            key=lambda e: e.seq)]
        self.by_id = {e.id: e for e in self.entries}
        self.govern()

    def govern(self):
        """docs/governance.md with one writer of authority, the founder:
        records in (ts, id) order, the last of each target wins."""
        hidden, erased, roles, removed = {}, set(), {}, {}
        recs = sorted((e for e in self.entries if e.kind in GOV),
                      key=lambda e: (e.ts, bytes.fromhex(e.id)))
        for r in recs:
            if r.author != self.founder and r.kind != "erase" and \
                    r.kind != "report":
                raise SystemExit("truth.py: a %s by a member other than "
                                 "the founder: not modelled" % r.kind)
            if r.kind in ("hide", "unhide"):
                t = self.by_id.get(r.p["target"])
                if t is not None and t.kind not in GOV:
                    hidden[t.id] = r.kind == "hide"
            elif r.kind == "erase":
                t = self.by_id.get(r.p["target"])
                if t is None or t.kind in GOV:
                    continue
                if r.author == t.author or r.author == self.founder:
                    erased.add(t.id)
            elif r.kind == "role":
                if r.p["member"] != self.founder:
                    roles[r.p["member"]] = r.p["role"]
            elif r.kind == "remove":
                m = r.p["member"]
                if m != self.founder:
                    removed[m] = min(removed.get(m, r.p["seq"]), r.p["seq"])
        self.hidden = {t for t, h in hidden.items() if h}
        self.erased = erased
        self.roles = roles
        self.removed = removed
        # a removed member's entries after its cut-off are not held
        self.held = [e for e in self.entries
                     if e.author not in removed or e.seq <= removed[e.author]]
        self.held_by_id = {e.id: e for e in self.held}
        self.authors = sorted({e.author for e in self.held})
        # names: the profile with the greatest (ts, id), as the view keeps
        self.names = {}
        best = {}
        for e in self.held:
            if e.kind != "profile" or e.id in self.erased:
                continue
            k = (e.ts, bytes.fromhex(e.id))
            if e.author not in best or k > best[e.author]:
                best[e.author] = k
                self.names[e.author] = e.p["name"]

    def role(self, m):
        if m == self.founder:
            return "facilitator"
        return self.roles.get(m, "learner")

    def resolve(self, who):
        low = who.lower()
        by_name = [k for k, n in self.names.items() if n.lower() == low]
        if len(by_name) == 1:
            return by_name[0]
        if len(who) >= 8 and all(c in "0123456789abcdefABCDEF" for c in who):
            hits = [k for k in self.authors if k.startswith(low)]
            if len(hits) == 1:
                return hits[0]
        raise SystemExit("truth.py: no single member matches %r" % who)


def stats(c, since, until, now, topic=None, member=None, limit=None):
    start = date_ms(since)
    end = date_ms(until) + DAY
    assert end > start and (end - start) <= WEEKS_MAX * WEEK
    as_of = min(end, now)
    limit = limit or LIMIT_DEFAULT
    M = c.resolve(member) if member else None
    nweeks = -(-(end - start) // WEEK)
    weeks = [(start + i * WEEK, min(start + (i + 1) * WEEK, end))
             for i in range(nweeks)]

    def name(k):
        return c.names.get(k)

    # The founding: the founder's first entry not dated ahead (docs/stats.md
    # §3); none, and the behind rule is off.
    founding = next((t for t in c.founder_ts if not t > now + SKEW), None)

    def plausible(ts):
        return not (ts > now + SKEW) and \
            not (founding is not None and ts < founding - SKEW)

    # Joined: the first entry (lowest seq) with a plausible date.
    # READING: of any kind, hidden or erased too (an entry's date stays).
    joined = {}
    for e in sorted(c.held, key=lambda e: e.seq):
        if plausible(e.ts) and e.author not in joined:
            joined[e.author] = e.ts
    # The members counted: not removed, joined before the window's end.
    # READING: a member who joined at or after `end` does not exist yet
    # (entries dated at or after end do not exist for the figures).
    everyone = [k for k in c.authors if k not in c.removed and
                k in joined and joined[k] < end]
    counted = [k for k in everyone if M is None or k == M]

    def visible(e):
        """Counts for the figures: held, not erased, not hidden (the hide
        in force now), a plausible date before end, author not removed."""
        return (e.id not in c.erased and e.id not in c.hidden and
                plausible(e.ts) and e.ts < end and
                e.author not in c.removed and
                # dated before its author joined: counts nowhere (§2)
                e.author in joined and e.ts >= joined[e.author])

    def post(i):
        e = c.held_by_id.get(i)
        return e if e is not None and e.kind == "post" and \
            e.id not in c.erased else None

    def ask(i):
        e = c.held_by_id.get(i)
        return e if e is not None and e.kind in ("offer", "request") and \
            e.id not in c.erased else None

    def accept(i):
        e = c.held_by_id.get(i)
        return e if e is not None and e.kind == "accept" and \
            e.id not in c.erased else None

    def topic_of(e):
        """READING: a reply's own topic; feedback: its post's; an accept,
        session or close: its ask's (through the pairing); kudos: none."""
        if e.kind == "post" or e.kind in ("offer", "request"):
            return e.p["topic"]
        if e.kind == "feedback":
            t = post(e.p["target"])
            return t.p["topic"] if t else None
        if e.kind == "accept":
            a = ask(e.p["target"])
            return a.p["topic"] if a else None
        if e.kind in ("session", "close"):
            a = accept(e.p["pairing"])
            return topic_of(a) if a else None
        return None

    def in_topic(e):
        return topic is None or topic_of(e) == topic

    # Activity. READING: feedback on one's own post and kudos to oneself
    # are not activity ("counts nowhere"); a feedback on a hidden post, or
    # on a removed member's, still is (as a reply to a hidden post is).
    def is_activity(e):
        if e.kind not in ACTIVITY or not visible(e):
            return False
        # what a member wrote dated before they joined counts nowhere
        # (docs/stats.md §2: a clock set back after their first entry)
        if e.author not in joined or e.ts < joined[e.author]:
            return False
        if e.kind == "feedback":
            t = post(e.p["target"])
            if t is not None and t.author == e.author:
                return False
        if e.kind == "kudos" and e.p["to"] == e.author:
            return False
        return in_topic(e)
    acts = {}
    for e in c.held:
        if is_activity(e):
            acts.setdefault(e.author, []).append(e.ts)

    def wrote(k, lo, hi):
        return any(lo <= t < hi for t in acts.get(k, ()))

    # --- questions ------------------------------------------------------
    def is_question(e):
        return e.kind == "post" and "reply_to" not in e.p and visible(e)

    replies = {}     # question id -> answers (another member, counting)
    helpfuls = {}    # post id -> helpful feedback on it
    for e in c.held:
        if not visible(e):
            continue
        if e.kind == "post" and "reply_to" in e.p:
            replies.setdefault(e.p["reply_to"], []).append(e)
        elif e.kind == "feedback" and e.p.get("helpful") is True:
            helpfuls.setdefault(e.p["target"], []).append(e)
    questions = sorted((e for e in c.held if is_question(e) and in_topic(e)
                        and start <= e.ts < end and
                        (M is None or e.author == M)),
                       key=lambda e: (e.ts, e.id))

    def answers(q):
        return [r for r in replies.get(q.id, ()) if r.author != q.author]

    def helpful(q):
        """Helpful marks on q by another member, and on each answer to q
        by anyone but that answer's author (docs/stats.md §4)."""
        marks = [f for f in helpfuls.get(q.id, ()) if f.author != q.author]
        for r in answers(q):
            marks += [f for f in helpfuls.get(r.id, ()) if f.author != r.author]
        return marks

    def first(q, xs):
        return max(0, min(x.ts for x in xs) - q.ts) if xs else None

    def qfigures(qs):
        fr = [first(q, answers(q)) for q in qs if answers(q)]
        return len(qs), len(fr), fr

    # READING: unanswered and answered_before_asked are of the questions
    # asked in the window (as `asked`); answered_before_asked counts the
    # times to answer that were below 0 and are shown as 0: a question's
    # first reply, and its first helpful feedback, each at most once.
    asked, answered, fr = qfigures(questions)
    fh = [first(q, helpful(q)) for q in questions if helpful(q)]
    unanswered = [q for q in questions if not answers(q) and
                  as_of - q.ts >= UNANSWERED]
    before = sum(1 for q in questions for xs in (answers(q), helpful(q))
                 if xs and min(x.ts for x in xs) < q.ts)

    def unanswered_row(q):
        r = {"id": q.id, "key": q.author, "name": name(q.author), "ts": q.ts,
             "topic": q.p["topic"], "age_ms": max(0, as_of - q.ts)}
        if "title" in q.p:
            r["title"] = q.p["title"]
        r["excerpt"] = excerpt(q.p["body"])
        return r

    # --- mentoring ------------------------------------------------------
    pairings = []
    for e in c.held:
        if e.kind != "accept" or not visible(e):
            continue
        a = ask(e.p["target"])
        if a is None or not visible(a) or a.author == e.author:
            continue
        mentor, mentee = (a.author, e.author) if a.kind == "offer" else \
            (e.author, a.author)
        closes = [x.ts for x in c.held if x.kind == "close" and visible(x)
                  and x.p["pairing"] == e.id and x.author in (mentor, mentee)]
        pairings.append({"id": e.id, "ts": e.ts, "ask": a, "mentor": mentor,
                         "mentee": mentee,
                         "close": min(closes) if closes else None})
    asked_ids = {p["ask"].id for p in pairings}
    # READING: under --topic, a pairing is of its ask's topic.
    P = [p for p in pairings if (topic is None or p["ask"].p["topic"] == topic)
         and (M is None or M in (p["mentor"], p["mentee"]))]

    def open_at(p, t):
        return p["ts"] < t and (p["close"] is None or p["close"] >= t)

    def paired(k, t):
        return any(p["mentee"] == k and open_at(p, t) for p in P)

    learners = [k for k in counted if c.role(k) == "learner"]
    Pw = [p for p in P if p["ts"] < end and
          (p["close"] is None or p["close"] > start)]
    pw_ids = {p["id"]: p for p in Pw}
    sessions = [x for x in c.held if x.kind == "session" and visible(x) and
                start <= x.ts < end and x.p["pairing"] in pw_ids and
                x.author in (pw_ids[x.p["pairing"]]["mentor"],
                             pw_ids[x.p["pairing"]]["mentee"])]
    minutes = sum(x.p["minutes"] for x in sessions)
    # READING: waiting is a state at as_of, as the doc words it: every
    # request held (dated before end), in the window or before it, that
    # no accept dated before end took (unanswered, by contrast, is of the
    # questions asked in the window).
    waiting = sorted((x for x in c.held if x.kind == "request" and
                      visible(x) and in_topic(x) and
                      (M is None or x.author == M) and
                      x.id not in asked_ids), key=lambda x: (x.ts, x.id))
    became = sorted(k for k in counted if any(
        p2["mentor"] == k and start <= p2["ts"] < end and any(
            p1["mentee"] == k and p1["ts"] < p2["ts"] for p1 in P)
        for p2 in P))

    # --- feedback -------------------------------------------------------
    F_all = []
    for e in c.held:
        if e.kind != "feedback" or not visible(e) or not start <= e.ts < end:
            continue
        t = post(e.p["target"])
        if t is None or not visible(t) or t.author == e.author:
            continue
        if topic is not None and t.p["topic"] != topic:
            continue
        F_all.append((e, t))
    # With --member, feedback counts what M gave or received (§1: "so
    # feedback.given is then given or received by M"); READING: topics[]
    # too.
    F = [(e, t) for e, t in F_all if M is None or M in (e.author, t.author)]
    ftopics = {}
    for e, t in F:
        d = ftopics.setdefault(t.p["topic"], [0, 0])
        d[0] += 1
        d[1] += e.p.get("helpful") is True
    ftop = sorted(ftopics.items(), key=lambda kv: (-kv[1][0], kv[0]))

    # --- kudos ----------------------------------------------------------
    # READING: kudos to a removed member (or to a key that is no member
    # counted) count nowhere, as feedback on a removed member's post.
    K_all = []
    if topic is None:
        K_all = [e for e in c.held if e.kind == "kudos" and visible(e) and
                 start <= e.ts < end and e.p["to"] != e.author and
                 e.p["to"] in everyone]
    # likewise kudos (§1); READING: badges[] too
    K = [e for e in K_all if M is None or M in (e.author, e.p["to"])]
    badges = {}
    for e in K:
        badges[e.p["badge"]] = badges.get(e.p["badge"], 0) + 1
    btop = sorted(badges.items(), key=lambda kv: (-kv[1], kv[0]))
    received = {k: sum(1 for e in K_all if e.p["to"] == k) for k in counted}
    total = sum(received.values())
    top10 = None
    if M is None and total:
        n = -(-len(counted) // 10)
        top10 = sum(sorted(received.values(), reverse=True)[:n]) / total

    # --- at risk --------------------------------------------------------
    risk = []
    for k in counted:
        if k not in acts:
            continue
        last = max(acts[k])
        silent = max(0, as_of - last)
        if silent >= AT_RISK:
            risk.append((last, k, silent))
    risk.sort()

    # --- weeks and cohorts ---------------------------------------------
    week_rows, cohorts = [], []
    for i, (ws, we) in enumerate(weeks):
        members = [k for k in counted if joined[k] < we]
        active = [k for k in counted if wrote(k, ws, we)]
        monthly = [k for k in counted if wrote(k, we - MONTH, we)]
        new = [k for k in counted if ws <= joined[k] < we]
        qs = [q for q in questions if ws <= q.ts < we]
        nq, na, wfr = qfigures(qs)
        wl = [k for k in learners if joined[k] < we]
        week_rows.append({
            "start": ws, "label": day_label(ws), "members": len(members),
            "active": len(active), "rate": share(len(active), len(members)),
            "monthly_active": len(monthly),
            "stickiness": share(len(active), len(monthly)),
            "new": len(new),
            "new_wrote_7d": sum(1 for k in new if
                                wrote(k, joined[k], joined[k] + NEW_WROTE)),
            # their first 7 days not over at as_of: too soon to tell
            "new_recent": sum(1 for k in new if as_of - joined[k] < NEW_WROTE
                              and not wrote(k, joined[k],
                                            joined[k] + NEW_WROTE)),
            "questions": nq, "answered": na,
            "first_reply_median": rank(wfr, 50),
            "first_reply_p90": rank(wfr, 90),
            "learners": len(wl),
            "learners_paired": sum(1 for k in wl if paired(k, we)),
        })
        if new:
            act, sh = [], []
            for k in range(1, COHORT_WEEKS + 1):
                if i + k >= nweeks:
                    act.append(None)
                    sh.append(None)
                    continue
                lo, hi = weeks[i + k]
                a = sum(1 for m in new if wrote(m, lo, hi))
                act.append(a)
                sh.append(share(a, len(new)))
            cohorts.append({"week": day_label(ws), "size": len(new),
                            "active": act, "share": sh})

    # --- freshness and clocks ------------------------------------------
    # READING: freshness is the store as held (every entry, whatever its
    # date or the window), of the members counted. Clock counts the posts,
    # replies, feedback, mentoring records and kudos (§3) held of every
    # member not removed (not only those counted; with --member, M's),
    # READING: whatever the window, the topic, or a hide or an erasure.
    feeds = {}
    for e in c.held:
        f = feeds.setdefault(e.author, [0, None, 0])
        f[0] += 1
        if e.seq > f[2]:
            f[1], f[2] = e.ts, e.seq
    # the order is by `received`, this node's clock: not checked (ORDERLESS)
    fresh = sorted(counted)
    ahead, behind = {}, {}
    for e in c.held:
        if e.author in c.removed or (M is not None and e.author != M) or \
                e.kind not in ACTIVITY:
            continue
        if e.ts > now + SKEW:
            ahead[e.author] = ahead.get(e.author, 0) + 1
        elif founding is not None and e.ts < founding - SKEW:
            behind[e.author] = behind.get(e.author, 0) + 1

    def med(vals):
        return {"n": len(vals), "median": rank(vals, 50), "p90": rank(vals, 90)}

    return {
        "community": c.community,
        "window": {"since": since, "until": until, "start": start, "end": end,
                   "as_of": as_of, "topic": topic, "member": M,
                   "member_name": name(M) if M is not None else None,
                   "limit": limit},
        "generated": now,
        "members": len(counted),
        # READING: removed members among the feeds held, whatever the
        # filters
        "removed": sum(1 for k in c.authors if k in c.removed),
        "weeks": week_rows,
        "cohorts": cohorts,
        "questions": {
            "asked": asked, "answered": answered,
            "first_reply": med(fr), "first_helpful": med(fh),
            "unanswered": [unanswered_row(q) for q in unanswered[:limit]],
            "unanswered_total": len(unanswered),
        },
        "feedback": {
            "given": len(F),
            "helpful": sum(1 for e, _ in F if e.p.get("helpful") is True),
            "members": [{"key": k, "name": name(k),
                         "given": sum(1 for e, _ in F_all if e.author == k),
                         "received": sum(1 for _, t in F_all
                                         if t.author == k),
                         "received_from": len({e.author for e, t in F_all
                                               if t.author == k})}
                        for k in counted],
            "topics": [{"topic": tp, "feedback": v[0], "helpful": v[1],
                        "share": share(v[1], v[0])}
                       for tp, v in ftop[:limit]],
            "topics_total": len(ftop),
        },
        "mentoring": {
            "learners": len(learners),
            "learners_paired": sum(1 for k in learners if paired(k, as_of)),
            "coverage": share(sum(1 for k in learners if paired(k, as_of)),
                              len(learners)),
            "waiting": [{"id": x.id, "key": x.author, "name": name(x.author),
                         "ts": x.ts, "topic": x.p["topic"],
                         "waiting_ms": max(0, as_of - x.ts)}
                        for x in waiting[:limit]],
            "waiting_total": len(waiting),
            "pairings": len(Pw),
            "closed": sum(1 for p in Pw if p["close"] is not None and
                          start <= p["close"] < end),
            "sessions": len(sessions), "minutes": minutes,
            "sessions_per_pairing": share(len(sessions), len(Pw)),
            "minutes_per_pairing": share(minutes, len(Pw)),
            "became_mentors": [{"key": k, "name": name(k)} for k in became],
        },
        "kudos": {
            "given": len(K),
            "badges": [{"badge": b, "count": n} for b, n in btop[:limit]],
            "badges_total": len(btop),
            "members": [{"key": k, "name": name(k),
                         "given": sum(1 for e in K_all if e.author == k),
                         "received": received[k]} for k in counted],
            "top10_share": top10,
        },
        "at_risk": [{"key": k, "name": name(k), "last_active": last,
                     "days_silent": silent // DAY, "received": 0}
                    for last, k, silent in risk[:limit]],
        "at_risk_total": len(risk),
        "freshness": {
            "last_sync": None,
            "members": [{"key": k, "name": name(k), "seq": feeds[k][0],
                         "newest_ts": feeds[k][1], "received": 0}
                        for k in fresh],
        },
        "clock": {
            "ahead": [{"key": k, "name": name(k), "entries": n}
                      for k, n in sorted(ahead.items())],
            "behind": [{"key": k, "name": name(k), "entries": n}
                       for k, n in sorted(behind.items())],
            "answered_before_asked": before,
        },
    }


# --- comparing ------------------------------------------------------------

# Paths (with list indexes as *) whose value is this node's own clock: the
# type is checked, not the value.
CLOCK = {"generated": (int,), "freshness.last_sync": (int, type(None)),
         "freshness.members.*.received": (int, type(None)),
         "at_risk.*.received": (int, type(None))}


# Lists whose order follows this node's own clock: their rows are
# matched, their order is not checked.
ORDERLESS = {"freshness.members"}


def kind_of(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def row_ident(exp, got):
    """The field that names each row of two lists of objects, if any."""
    rows = exp + got
    if not rows or not all(isinstance(r, dict) for r in rows):
        return None
    for f in ("id", "key", "start", "week", "topic", "badge"):
        if all(f in r for r in rows) and \
                len({json.dumps(r[f]) for r in exp}) == len(exp) and \
                len({json.dumps(r[f]) for r in got}) == len(got):
            return f
    return None


def diff(exp, got, path, out, clock):
    star = ".".join("*" if p.isdigit() else p for p in path)
    where = ".".join(path) or "(top)"
    if star in clock:
        if isinstance(got, bool) or not isinstance(got, clock[star]):
            out.append((where, "a value of type %s" %
                        "/".join(t.__name__ for t in clock[star]), got))
        return
    if kind_of(exp) != kind_of(got):
        out.append((where, exp, got))
    elif isinstance(exp, dict):
        for k in sorted(set(exp) | set(got)):
            if k not in got:
                out.append((where + "." + k, exp[k], "(missing)"))
            elif k not in exp:
                out.append((where + "." + k, "(absent)", got[k]))
            else:
                diff(exp[k], got[k], path + [k], out, clock)
    elif isinstance(exp, list):
        ident = row_ident(exp, got)
        if ident is None:
            if len(exp) != len(got):
                out.append((where + " (length)", len(exp), len(got)))
            for i, (a, b) in enumerate(zip(exp, got)):
                diff(a, b, path + [str(i)], out, clock)
            return
        # rows of members, posts, weeks...: matched by what names them, so
        # that one row too many or too few is one mismatch, not a shift
        ei = [r[ident] for r in exp]
        gi = [r[ident] for r in got]
        missing = [i for i in ei if i not in gi]
        extra = [i for i in gi if i not in ei]
        for r in exp:
            if r[ident] in missing:
                out.append((where + " (a row missing, by %s)" % ident, r,
                            "(none)"))
        for r in got:
            if r[ident] in extra:
                out.append((where + " (a row not expected, by %s)" % ident,
                            "(none)", r))
        common_e = [i for i in ei if i in gi]
        common_g = [i for i in gi if i in ei]
        if common_e != common_g and star not in ORDERLESS:
            out.append((where + " (order, by %s)" % ident, common_e,
                        common_g))
        rows = {r[ident]: (n, r) for n, r in enumerate(got)}
        for n, r in enumerate(exp):
            if r[ident] in rows:
                diff(r, rows[r[ident]][1], path + [str(n)], out, clock)
    elif exp != got:
        out.append((where, exp, got))


def short(v):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= 240 else s[:237] + "..."


def report(out, limit, what):
    if not out:
        return 0
    sys.stdout.write("%s: %d mismatch(es)%s\n" %
                     (what, len(out), ", the first %d:" % limit
                      if len(out) > limit else ":"))
    for where, exp, got in out[:limit]:
        sys.stdout.write("  %s\n    expected %s\n    got      %s\n" %
                         (where, short(exp), short(got)))
    return 1


def load_json(path):
    with open(path) as f:
        text = f.read()
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) != 1:
        raise SystemExit("truth.py: %s: expected one JSON line, got %d" %
                         (path, len(lines)))
    return json.loads(lines[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("expect")
    e.add_argument("--events", required=True)
    e.add_argument("--ids", required=True)
    e.add_argument("--keys", required=True)
    e.add_argument("--community", required=True,
                   help="the community's name (stats_gen --create)")
    e.add_argument("--now", type=int)
    e.add_argument("--since")
    e.add_argument("--until")
    e.add_argument("--topic")
    e.add_argument("--member")
    e.add_argument("--limit", type=int)
    for name in ("compare", "same"):
        s = sub.add_parser(name)
        s.add_argument("a")
        s.add_argument("b")
        s.add_argument("--max", type=int, default=12)
    a = ap.parse_args()
    if a.cmd == "expect":
        with open(a.events) as f:
            events = [json.loads(l) for l in f if l.strip()]
        with open(a.ids) as f:
            ids = [l.strip() for l in f if l.strip()]
        keys = {}
        with open(a.keys) as f:
            for line in f:
                i, k = line.split()
                keys[int(i)] = k
        now = a.now if a.now is not None else \
            int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        since, until = a.since, a.until
        if since is None or until is None:
            # the default: from the Monday 7 weeks before this week's
            # Monday to today
            today = datetime.datetime.fromtimestamp(
                now / 1000, datetime.timezone.utc).date()
            monday = today - datetime.timedelta(days=today.weekday())
            since = since or (monday - datetime.timedelta(weeks=7)).isoformat()
            until = until or today.isoformat()
        c = Community(events, ids, keys, a.community)
        out = stats(c, since, until, now, a.topic, a.member, a.limit)
        sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
        return 0
    if a.cmd == "compare":
        out = []
        diff(load_json(a.a), load_json(a.b), [], out, CLOCK)
        return report(out, a.max, "stats --json against the truth")
    out = []
    x, y = load_json(a.a), load_json(a.b)
    diff(x, y, [], out, CLOCK)
    return report(out, a.max, "stats --json of the two homes")


if __name__ == "__main__":
    sys.exit(main())
