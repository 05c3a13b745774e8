#!/usr/bin/python3
"""scenario.py: a made-up learning community with known behaviour, for the
ground truth test of `stoa stats` (tests/integration/t50-stats.sh).

    scenario.py --seed N                 the events, JSON lines, on stdout
    scenario.py --seed N --windows [--keys FILE]
                                         the windows to ask about, one JSON
                                         object a line: {"name", "args"}
    scenario.py --edges [--windows [--keys FILE]]
                                         the same, of a small fixed
                                         community of odd cases (class Edges)

The events are what tests/tools/stats_gen reads (its header comment says the
format: member "m", "kind", "ts", "payload", "ref" to an earlier event,
"to" a member); tests/stats/truth.py computes the expected figures from the
same events. Everything is picked by a random.Random(N), so one seed always
gives the same community; the seed moves the dates too (2025, far from the
moment the test runs, so that no age depends on it, while an entry of 2100
is "ahead" and one of 1970 or 1980 "behind").

About twelve weeks: members joining in different weeks (one alone in week
4, one the day before the founding, one late), questions answered at
chosen delays (some at once, some after days, one by a reply dated before
it, some only by their author), unanswered ones (two placed exactly on the
48-hour line), feedback helpful or not (one on the giver's own post, one
dated before its question), mentoring (offers, requests, accepts,
sessions, closes, a request nobody takes, a learner who later mentors),
kudos with several badges (one to oneself, one to a member later removed),
what the founder hides (a question, a feedback, a kudos; a reply hidden
and shown again), a post its author erased, a removed member (who goes on
writing), a member with only a profile, drifting members (one silent for
exactly 14 days), a member whose clock is in 2100, one who starts in 1970
then fixes the clock, and one who stays in 1980.
"""
import argparse
import datetime
import json
import random
import sys

DAY = 86400000
HOUR = 3600000
MIN = 60000
WEEK = 7 * DAY
TOPICS = ["algebra", "geometry", "history"]
BADGES = ["helper", "star", "explainer", "kind", "curious"]

# Member indexes (member 0 is the founder, the home's own identity).
AMARA, BEN, CLEO, DEV, ELI, FAY, GUS, HANA, IVO, JUN, KAI, LEA, MAX, NIA, \
    OZ, PIA = range(16)
NAMES = ["Amara", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo",
         "Jun", "Kai", "Lea", "Max", "Nia", "Oz", "Pia"]
EXTRA_NAMES = ["Quinn", "Rosa", "Sami", "Tariq", "Uma"]


def event(m, kind, ts, payload=None, ref=None, to=None):
    """One event as stats_gen reads it (a JSON object a line)."""
    o = {"m": m, "kind": kind, "ts": ts}
    if payload:
        o["payload"] = payload
    if ref is not None:
        o["ref"] = ref
    if to is not None:
        o["to"] = to
    return o


class Ev:
    __slots__ = ("m", "kind", "ts", "payload", "ref", "to", "n", "index")

    def __init__(self, m, kind, ts, payload=None, ref=None, to=None, n=0):
        self.m, self.kind, self.ts = m, kind, ts
        self.payload = payload or {}
        self.ref, self.to, self.n = ref, to, n
        self.index = None


class Scenario:
    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed)
        # a Monday of 2025, moved by the seed in steps of 5 weeks
        base = datetime.datetime(2025, 1, 6, tzinfo=datetime.timezone.utc)
        base += datetime.timedelta(days=35 * (seed % 9))
        self.base = int(base.timestamp() * 1000)
        self.evs = []
        self.joined = {}      # member -> ts it may start writing
        self.last_week = {}   # member -> last week of random activity
        self.questions = []   # random questions: Ev

    # --- time -----------------------------------------------------------
    def at(self, w, d, h, mi=0, jitter=True):
        t = self.base + (w * 7 + d) * DAY + h * HOUR + mi * MIN
        return t + (self.rng.randrange(MIN) if jitter else 0)

    def week_of(self, ts):
        return (ts - self.base) // WEEK

    # --- events ---------------------------------------------------------
    def ev(self, m, kind, ts, payload=None, ref=None, to=None):
        e = Ev(m, kind, ts, payload, ref, to, len(self.evs))
        self.evs.append(e)
        return e

    def profile(self, m, ts, role="learner"):
        return self.ev(m, "profile", ts, {"name": self.names[m], "role": role})

    def ask(self, m, ts, topic, title=True):
        p = {"topic": topic, "body": "%s asks about %s (%d)" %
             (self.names[m], topic, len(self.evs))}
        if title:
            p["title"] = "%s question %d" % (topic.capitalize(), len(self.evs))
        q = self.ev(m, "post", ts, p)
        return q

    def reply(self, m, ts, q):
        return self.ev(m, "post", ts, {"topic": q.payload["topic"],
                                       "body": "%s answers (%d)" %
                                       (self.names[m], len(self.evs))}, ref=q)

    def feedback(self, m, ts, target, helpful, rating=None):
        p = {"helpful": helpful}
        if rating is not None:
            p["rating"] = rating
        if not helpful and rating is None:
            p["comment"] = "not sure this helps"
        return self.ev(m, "feedback", ts, p, ref=target)

    def kudos(self, m, ts, to, badge):
        return self.ev(m, "kudos", ts, {"badge": badge}, to=to)

    # --- who may write when -------------------------------------------
    def eligible(self, ts, exclude=()):
        w = self.week_of(ts)
        return [m for m, j in sorted(self.joined.items())
                if j + HOUR <= ts and w <= self.last_week[m] and
                m not in exclude]

    def build(self):
        rng = self.rng
        self.extra = list(range(16, 16 + 2 + self.seed % 3))
        self.names = NAMES + EXTRA_NAMES[:len(self.extra)]
        at = self.at

        # --- joining ----------------------------------------------------
        self.profile(AMARA, at(0, 0, 9), "facilitator")
        self.founding = self.evs[0].ts
        plan = {  # member: (week, day, hour, last week of random activity)
            CLEO: (0, 0, 11, 11), DEV: (0, 1, 10, 3), ELI: (1, 0, 14, 11),
            FAY: (1, 2, 9, 5), GUS: (2, 1, 16, -1), HANA: (3, 0, 10, 11),
            JUN: (4, 2, 15, 11), KAI: (5, 1, 9, 11), LEA: (5, 3, 18, 6),
            MAX: (7, 0, 12, 11), NIA: (9, 4, 10, 11),
        }
        # the extra members never join in week 4 (Jun's cohort of one)
        for m in self.extra:
            plan[m] = (rng.choice([0, 1, 2, 3, 5, 6, 7, 8, 10]),
                       rng.randrange(7), rng.randrange(8, 20), 11)
        # the day before the founding, by 11 hours: plausible, before start
        self.profile(BEN, self.founding - 11 * HOUR)
        self.joined[BEN], self.last_week[BEN] = self.founding - 11 * HOUR, 11
        self.joined[AMARA], self.last_week[AMARA] = self.founding, 11
        for m in sorted(plan):
            w, d, h, last = plan[m]
            e = self.profile(m, at(w, d, h))
            self.joined[m], self.last_week[m] = e.ts, last
        # Ivo: a Raspberry Pi without a battery, in 1970, then set right
        self.ev(IVO, "profile", 7000, {"name": "Ivo", "role": "learner"})
        self.ask(IVO, 3600000, "algebra")
        self.joined[IVO], self.last_week[IVO] = at(3, 2, 8), 11
        self.ask(IVO, self.joined[IVO], "geometry")
        # Oz: a clock in 2100; Pia: a clock stuck in 1980
        y2100 = int(datetime.datetime(2100, 3, 1, tzinfo=datetime.timezone.utc)
                    .timestamp() * 1000)
        self.profile(OZ, y2100)
        self.ask(OZ, y2100 + HOUR, "algebra")
        self.ask(OZ, y2100 + 2 * HOUR, "history")
        y1980 = int(datetime.datetime(1980, 5, 1, tzinfo=datetime.timezone.utc)
                    .timestamp() * 1000)
        self.profile(PIA, y1980)
        self.ask(PIA, y1980 + HOUR, "geometry")

        # --- roles --------------------------------------------------------
        self.ev(AMARA, "role", at(0, 1, 8), {"role": "mentor"}, to=CLEO)

        # --- random questions, replies, feedback, kudos -----------------
        delays = [20 * MIN, 3 * HOUR, 20 * HOUR, 47 * HOUR, 50 * HOUR,
                  4 * DAY, 9 * DAY]
        special = {GUS, OZ, PIA}
        for w in range(12):
            for m in sorted(self.joined):
                if m in special or w > self.last_week[m]:
                    continue
                n = (rng.random() < 0.55) + (rng.random() < 0.2)
                for _ in range(n):
                    lo = max(self.joined[m] + HOUR, self.base + w * WEEK)
                    hi = self.base + (w + 1) * WEEK
                    if lo >= hi:
                        continue
                    ts = rng.randrange(lo, hi)
                    if m == FAY and ts >= self.at(6, 2, 9, jitter=False):
                        continue
                    q = self.ask(m, ts, rng.choice(TOPICS),
                                 rng.random() < 0.7)
                    self.questions.append(q)
                    self.answer_randomly(q, delays)
            # kudos of the week
            for _ in range(rng.randrange(1, 4)):
                ts = rng.randrange(self.base + w * WEEK,
                                   self.base + (w + 1) * WEEK)
                givers = [g for g in self.eligible(ts, special) if g != FAY]
                if len(givers) < 2:
                    continue
                g, r = rng.sample(givers, 2)
                self.kudos(g, ts, r, rng.choice(BADGES))

        self.scripted()
        return self

    def answer_randomly(self, q, delays):
        rng = self.rng
        special = {GUS, OZ, PIA, FAY}
        r = rng.random()
        if r < 0.15:
            return
        if r < 0.25:
            self.reply(q.m, q.ts + 2 * HOUR + rng.randrange(HOUR), q)
            return
        if rng.random() < 0.1:
            self.reply(q.m, q.ts + 30 * MIN + rng.randrange(MIN), q)
        for _ in range(rng.randrange(1, 4)):
            ts = q.ts + rng.choice(delays) + rng.randrange(10 * MIN)
            who = self.eligible(ts, special | {q.m})
            if not who:
                continue
            a = self.reply(rng.choice(who), ts, q)
            if rng.random() < 0.3:
                fts = ts + rng.randrange(HOUR, DAY)
                fw = self.eligible(fts, special | {a.m})
                if fw:
                    self.feedback(rng.choice(fw), fts, a,
                                  rng.random() < 0.5, rng.choice([None, 3, 5]))
        if rng.random() < 0.45:
            fts = q.ts + rng.choice(delays) + rng.randrange(HOUR)
            fw = self.eligible(fts, special | {q.m})
            if fw:
                self.feedback(rng.choice(fw), fts, q, rng.random() < 0.6,
                              rng.choice([None, 1, 2, 4, 5]))

    def scripted(self):
        at = self.at
        # A question the founder hides: not a question; Cleo's reply still
        # counts as activity, Dev's feedback on it in no feedback figure
        hq = self.ask(BEN, at(2, 1, 10), "history")
        self.reply(CLEO, at(2, 1, 15), hq)
        self.feedback(DEV, at(2, 2, 9), hq, True, 4)
        self.ev(AMARA, "hide", at(2, 5, 8), {"reason": "off topic"}, ref=hq)
        # A feedback the founder hides
        jq = self.ask(JUN, at(4, 3, 10), "geometry")
        hf = self.feedback(HANA, at(4, 3, 18), jq, True, 5)
        self.ev(AMARA, "hide", at(4, 4, 9), ref=hf)
        # A reply hidden, then shown again: it counts
        hr = self.reply(BEN, at(4, 4, 12), jq)
        self.ev(AMARA, "hide", at(4, 5, 8), ref=hr)
        self.ev(AMARA, "unhide", at(4, 6, 8), ref=hr)
        # Cleo's helpful feedback dated half an hour before Jun's question
        jq2 = self.ask(JUN, at(5, 2, 10), "algebra")
        self.feedback(CLEO, jq2.ts - 30 * MIN, jq2, True)
        # A self-reply first, then an answer three days later
        eq = self.ask(ELI, at(3, 1, 9), "algebra", title=False)
        self.reply(ELI, eq.ts + HOUR, eq)
        self.reply(CLEO, eq.ts + 3 * DAY, eq)
        # A reply dated an hour before its question (Ben's clock is late)
        mq = self.ask(MAX, at(8, 2, 10), "geometry")
        self.reply(BEN, mq.ts - HOUR, mq)
        # Feedback on one's own post counts nowhere
        iq = self.ask(IVO, at(6, 1, 11), "history")
        self.feedback(IVO, at(6, 1, 12), iq, True, 5)
        # Kudos to oneself, a kudos the founder hides
        self.kudos(BEN, at(3, 3, 12), BEN, "star")
        hk = self.kudos(DEV, at(2, 4, 12), BEN, "kind")
        self.ev(AMARA, "hide", at(2, 6, 9), ref=hk)
        # A post its author erased
        dp = self.ask(DEV, at(2, 3, 10), "algebra")
        self.ev(DEV, "erase", at(2, 3, 11), {"reason": "posted by mistake"},
                ref=dp)
        # Fay: questions answered by others, feedback and kudos to her, a
        # request nobody takes; removed in week 6, she goes on writing
        fq = self.ask(FAY, at(3, 2, 10), "geometry")
        self.reply(BEN, at(3, 2, 14), fq)
        self.feedback(DEV, at(3, 2, 16), fq, True, 5)
        self.kudos(CLEO, at(3, 4, 10), FAY, "helper")
        self.ev(FAY, "request", at(2, 2, 9), {"topic": "geometry"})
        self.ev(AMARA, "remove", at(6, 2, 9, jitter=False),
                {"reason": "kept posting other people's phone numbers"},
                to=FAY)
        self.ask(FAY, at(6, 4, 10), "algebra")
        self.ask(FAY, at(7, 0, 10), "algebra")
        # Mentoring: Cleo offers; Dev takes it (never closed, Dev drifts)
        offer = self.ev(CLEO, "offer", at(0, 2, 10), {"topic": "algebra"})
        p2 = self.ev(DEV, "accept", at(1, 2, 10), ref=offer)
        self.ev(DEV, "session", at(1, 4, 17),
                {"minutes": 20, "notes": "first steps"}, ref=p2)
        # Eli asks for a mentor, Cleo takes it; sessions; Eli closes it
        req = self.ev(ELI, "request", at(2, 0, 9), {"topic": "algebra",
                                                    "note": "fractions"})
        p1 = self.ev(CLEO, "accept", at(2, 1, 9), ref=req)
        self.ev(CLEO, "session", at(2, 3, 16),
                {"minutes": 45, "notes": "fractions"}, ref=p1)
        self.ev(ELI, "session", at(3, 3, 16),
                {"minutes": 30, "notes": "more fractions",
                 "progress": "halfway"}, ref=p1)
        self.ev(CLEO, "session", at(4, 2, 16),
                {"minutes": 60, "notes": "equations"}, ref=p1)
        self.ev(ELI, "close", at(5, 1, 10), {"reason": "I get it now"}, ref=p1)
        # ... then mentors: the founder makes Eli a mentor, Kai takes his offer
        self.ev(AMARA, "role", at(6, 0, 8), {"role": "mentor"}, to=ELI)
        eoffer = self.ev(ELI, "offer", at(7, 0, 10), {"topic": "algebra"})
        p3 = self.ev(KAI, "accept", at(8, 1, 10), ref=eoffer)
        self.ev(ELI, "session", at(8, 4, 17),
                {"minutes": 40, "notes": "Kai's first session"}, ref=p3)
        # Lea asks, Ben (a learner) takes it and closes it a week later
        lreq = self.ev(LEA, "request", at(5, 3, 19), {"topic": "history"})
        p4 = self.ev(BEN, "accept", at(5, 5, 10), ref=lreq)
        self.ev(LEA, "session", at(5, 6, 10),
                {"minutes": 25, "notes": "the Romans"}, ref=p4)
        self.ev(BEN, "close", at(6, 1, 10), ref=p4)
        # Jun asks in week 4; Max takes it in week 7
        jreq = self.ev(JUN, "request", at(4, 4, 11), {"topic": "geometry"})
        p5 = self.ev(MAX, "accept", at(7, 3, 10), ref=jreq)
        self.ev(JUN, "session", at(7, 5, 10),
                {"minutes": 50, "notes": "triangles"}, ref=p5)
        # Hana's request nobody takes
        self.ev(HANA, "request", at(9, 2, 10), {"topic": "geometry"})
        # Lea's last word, exactly 14 days before the end of week 11
        self.ask(LEA, self.base + 10 * WEEK, "history")
        # Max: one post from a clock in 2100
        y2100 = int(datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
                    .timestamp() * 1000)
        self.ask(MAX, y2100, "geometry")
        # Nia: two questions on each side of the 48-hour line at the end
        # of week 11, a third too young to be unanswered
        end = self.base + 12 * WEEK
        self.ask(NIA, end - 48 * HOUR, "algebra")
        self.ask(NIA, end - 48 * HOUR + 1, "geometry")
        self.ask(NIA, end - 5 * HOUR, "history")

    # --- output ---------------------------------------------------------
    def ordered(self):
        """The events by date, each after the event it refers to; each
        member's profile first (stats_gen wants feeds to start so)."""
        out, done, waiting = [], set(), {}

        def emit(e):
            e.index = len(out)
            out.append(e)
            done.add(e.n)
            for w in waiting.pop(e.n, []):
                emit(w)
        for e in sorted(self.evs, key=lambda e: (e.ts, e.n)):
            if e.ref is not None and e.ref.n not in done:
                waiting.setdefault(e.ref.n, []).append(e)
            else:
                emit(e)
        assert not waiting, "an event refers to one that never comes"
        first = {}
        for e in out:
            first.setdefault(e.m, e)
        for m, e in first.items():
            assert e.kind == "profile", "member %d starts with a %s" % (m, e.kind)
        return out

    def lines(self):
        for e in self.ordered():
            o = {"m": e.m, "kind": e.kind, "ts": e.ts}
            if e.payload:
                o["payload"] = e.payload
            if e.ref is not None:
                o["ref"] = e.ref.index
            if e.to is not None:
                o["to"] = e.to
            yield json.dumps(o, sort_keys=True, separators=(",", ":"))

    def windows(self, keys):
        def day(ts):
            return datetime.datetime.fromtimestamp(
                ts / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
        b = self.base
        full = ["--since", day(b), "--until", day(b + 12 * WEEK - DAY)]
        w = [
            ("full", full),
            ("topic", full + ["--topic", "algebra"]),
            ("topic-geometry", full + ["--topic", "geometry"]),
            ("member-name", full + ["--member", "Eli"]),
            ("member-cleo", full + ["--member", "cleo"]),
            # one member's view of one with no plausible date counts no
            # member (docs/stats.md §1; of a removed member, stoa refuses:
            # t50 checks it)
            ("member-ahead", full + ["--member", "Oz"]),
            # a window from a Thursday: weeks from Thursdays, the last one
            # short, the late cohorts cut
            ("cut", ["--since", day(b + 2 * WEEK + 3 * DAY),
                     "--until", day(b + 7 * WEEK)]),
            ("cut-topic", ["--since", day(b + 2 * WEEK + 3 * DAY),
                           "--until", day(b + 7 * WEEK),
                           "--topic", "geometry"]),
            # before the founding (and before Ben's early profile): nobody
            ("empty", ["--since", day(b - 21 * DAY),
                       "--until", day(b - 2 * DAY)]),
            ("limit", full + ["--limit", "2"]),
            ("late", ["--since", day(b + 8 * WEEK),
                      "--until", day(b + 15 * WEEK - DAY)]),
            ("one-day", ["--since", day(b + 5 * WEEK + 2 * DAY),
                         "--until", day(b + 5 * WEEK + 2 * DAY)]),
        ]
        if keys:
            w.append(("member-key", full + ["--member", keys[KAI][:16]]))
            w.append(("member-key-cut", ["--since", day(b + 2 * WEEK + 3 * DAY),
                                             "--until", day(b + 7 * WEEK),
                                             "--member", keys[JUN][:10]]))
        for name, args in w:
            yield json.dumps({"name": name, "args": args})


class Edges:
    """A small fixed community of what only a modified client or a peer's
    odd clock writes, each case once: an accept of one's own offer (and a
    session on it), a session and a close by a third party on another
    pairing, a second close, a reply and a feedback to entries nobody
    holds, kudos to a key that is no member, a question answered only by
    a hidden reply, one answered before it was asked (twice, and by a
    helpful feedback, a feedback that is not and its author), an erased question with its reply, entries dated
    exactly at the window's end, a profile dated exactly 24 hours before
    the founding (plausible) and a post 1 ms earlier (behind)."""

    def __init__(self):
        self.base = int(datetime.datetime(2025, 3, 3, tzinfo=datetime.timezone
                                          .utc).timestamp() * 1000)
        self.out = []

    def ev(self, m, kind, ts, payload=None, ref=None, to=None):
        self.out.append(event(m, kind, ts, payload, ref, to))
        return len(self.out) - 1

    def build(self):
        b, ev = self.base, self.ev
        f = b + 9 * HOUR
        ev(0, "profile", f, {"name": "Amara", "role": "facilitator"})
        for i, n in enumerate(["Ben", "Cy", "Dan", "Eve", "Fay", "Gil"], 1):
            ev(i, "profile", f + i * HOUR, {"name": n, "role": "learner"})
        ev(7, "profile", f - DAY, {"name": "Hal", "role": "learner"})
        ev(7, "post", f - DAY - 1, {"topic": "t", "body": "behind by 1 ms"})
        o = ev(1, "offer", b + DAY, {"topic": "t"})
        a = ev(1, "accept", b + DAY + HOUR, ref=o)
        ev(1, "session", b + DAY + 2 * HOUR, {"minutes": 10, "notes": "n"},
           ref=a)
        o2 = ev(2, "offer", b + DAY, {"topic": "t"})
        p = ev(3, "accept", b + DAY + HOUR, ref=o2)
        ev(4, "session", b + WEEK + DAY, {"minutes": 99, "notes": "not mine"},
           ref=p)
        ev(4, "close", b + WEEK + DAY + HOUR, ref=p)
        ev(3, "session", b + WEEK + 2 * DAY, {"minutes": 15, "notes": "mine"},
           ref=p)
        ev(3, "close", b + 2 * WEEK + DAY, ref=p)
        ev(2, "close", b + 2 * WEEK + 2 * DAY, ref=p)
        ev(5, "post", b + WEEK + 3 * DAY, {"topic": "t", "body": "re ?",
                                           "reply_to": "ab" * 32})
        ev(6, "feedback", b + WEEK + 3 * DAY, {"helpful": True,
                                               "target": "cd" * 32})
        ev(0, "kudos", b + WEEK + 3 * DAY, {"badge": "x"}, to=9)
        q = ev(5, "post", b + 2 * DAY, {"topic": "t", "body": "q1"})
        r = ev(6, "post", b + 2 * DAY + HOUR, {"topic": "t", "body": "r1"},
               ref=q)
        ev(0, "hide", b + 2 * DAY + 2 * HOUR, ref=r)
        q2 = ev(6, "post", b + 3 * DAY, {"topic": "t", "body": "q2"})
        ev(5, "post", b + 3 * DAY + HOUR, {"topic": "t", "body": "r2"}, ref=q2)
        ev(6, "erase", b + 3 * DAY + 2 * HOUR, ref=q2)
        # answers dated before their question: two replies by others, a
        # helpful feedback and one that is not, a self-reply
        q4 = ev(1, "post", b + WEEK + 4 * DAY, {"topic": "t", "body": "q4"})
        ev(2, "post", b + WEEK + 4 * DAY - HOUR, {"topic": "t", "body": "r"},
           ref=q4)
        ev(3, "post", b + WEEK + 4 * DAY - 2 * HOUR, {"topic": "t",
                                                      "body": "r"}, ref=q4)
        ev(2, "feedback", b + WEEK + 4 * DAY - HOUR, {"helpful": False,
                                                      "rating": 3}, ref=q4)
        ev(3, "feedback", b + WEEK + 4 * DAY - HOUR, {"helpful": True}, ref=q4)
        ev(1, "post", b + WEEK + 4 * DAY - HOUR, {"topic": "t", "body": "me"},
           ref=q4)
        end = b + 3 * WEEK
        q3 = ev(4, "post", end - 3 * DAY, {"topic": "t", "body": "q3"})
        ev(5, "post", end, {"topic": "t", "body": "at end"}, ref=q3)
        ev(4, "post", end, {"topic": "t", "body": "q at end"})
        return self

    def lines(self):
        for o in self.out:
            yield json.dumps(o, sort_keys=True, separators=(",", ":"))

    def windows(self, keys):
        w = [("three-weeks", ["--since", "2025-03-03", "--until", "2025-03-23"]),
             ("two-weeks", ["--since", "2025-03-03", "--until", "2025-03-16"]),
             ("after", ["--since", "2025-03-17", "--until", "2025-03-30"])]
        if keys:
            w.append(("member-dan", w[0][1] + ["--member", keys[3][:8]]))
        for name, args in w:
            yield json.dumps({"name": name, "args": args})


def read_keys(path):
    keys = {}
    with open(path) as f:
        for line in f:
            i, k = line.split()
            keys[int(i)] = k
    return keys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--edges", action="store_true",
                    help="the small fixed community of odd cases instead")
    ap.add_argument("--windows", action="store_true",
                    help="print the windows to ask about instead")
    ap.add_argument("--keys", help="stats_gen's --keys file (for --windows)")
    a = ap.parse_args()
    if a.edges == (a.seed is not None):
        ap.error("give --seed N or --edges")
    s = Edges().build() if a.edges else Scenario(a.seed).build()
    out = s.windows(read_keys(a.keys) if a.keys else None) if a.windows \
        else s.lines()
    for line in out:
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
