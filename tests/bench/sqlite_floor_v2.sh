#!/usr/bin/env bash
# sqlite_floor_v2: what SQLite alone needs to store the rows stoa writes
# for N entries (docs/benchmarks.md, "The floor"), with no crypto, no JSON
# and no stoa code: the schema is the one `stoa init` creates (so it is
# always the real one), the rows are made set-based by the sqlite3 shell
# from a table prepared beforehand (not timed), in commits of BATCH
# entries, with stoa's pragmas (WAL, synchronous FULL, 8 MB cache, the
# checkpoint every 10000 pages) and bench_store's mix: 80% posts (a
# quarter of them replies), 13% feedback, 4% kudos, 3% mentoring asks.
# It runs on SQLite's default VFS, as stoa does.
#
#   tests/bench/sqlite_floor_v2.sh BUILD_DIR [N] [BATCH]
#
# Prints the CPU (user + sys) and wall seconds of the timed part and the
# CPU per entry. Not a test: CTest never runs it.
set -euo pipefail

build=${1:?usage: sqlite_floor_v2.sh BUILD_DIR [N] [BATCH]}
n=${2:-100000}
batch=${3:-5000}
dir=$(mktemp -d /tmp/stoa-floor-XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$build/stoa" --home "$dir/home" init --name floor --community floor >/dev/null
db=$dir/home/store.db

# The rows to store, made before the clock starts. Each words() is a
# different mix of 20 words, as bench_store's bodies are.
sqlite3 "$db" >/dev/null <<EOF
CREATE TABLE src(n INTEGER PRIMARY KEY, id BLOB, author BLOB, seq INT,
  ts INT, signed BLOB, payload BLOB, topic TEXT, title TEXT, body TEXT,
  ref BLOB);
WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < $n)
INSERT INTO src SELECT k, randomblob(32), zeroblob(31) || char(k % 40 + 1),
  k / 40 + 1, 1700000000000 + k, randomblob(186), randomblob(250),
  'topic' || (k % 12), 'a title ' || (k % 997),
  'lorem ipsum dolor sit amet ' || (k % 1000) || ' consectetur adipiscing'
  || ' elit sed do eiusmod tempor word' || (k % 5000) || ' incididunt ut'
  || ' labore et dolore magna aliqua quis ' || (k * 7 % 3001),
  randomblob(32) FROM s;
EOF

sql=$dir/floor.sql
{
	echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	echo "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 10000;"
	echo ".timer on"
	for ((lo = 1; lo <= n; lo += batch)); do
		hi=$((lo + batch - 1))
		w="FROM src WHERE n BETWEEN $lo AND $hi"
		cat <<EOF
BEGIN IMMEDIATE;
INSERT INTO entries(id, author, seq, kind, ts, signed, payload, opaque, idk)
  SELECT id, author, seq, 2, ts, signed, payload, 0,
  abs(random()) % 4294967296 $w;
INSERT INTO feeds(author, seq, head, ts) SELECT author, max(seq), id, max(ts)
  $w GROUP BY author
  ON CONFLICT(author) DO UPDATE SET seq = excluded.seq, head = excluded.head,
  ts = excluded.ts;
INSERT INTO posts(entry, id, author, ts, topic, title, body, reply_to)
  SELECT n, id, author, ts, topic, title, body,
  CASE WHEN n % 100 < 20 THEN ref END $w AND n % 100 < 80;
INSERT INTO posts_fts(rowid, title, body, topic)
  SELECT n, title, body, topic $w AND n % 100 < 80;
INSERT INTO feedback(entry, author, ts, target, rating, helpful, comment)
  SELECT n, author, ts, ref, n % 5 + 1, n % 2, title
  $w AND n % 100 BETWEEN 80 AND 92;
INSERT INTO kudos(entry, author, ts, recipient, badge, reason)
  SELECT n, author, ts, ref, 'helper', title $w AND n % 100 BETWEEN 93 AND 96;
INSERT INTO asks(entry, id, author, ts, kind, topic, note)
  SELECT n, id, author, ts, 'offer', topic, NULL $w AND n % 100 >= 97;
COMMIT;
EOF
	done
} >"$sql"
start=$(date +%s.%N)
sqlite3 "$db" <"$sql" | awk -v n="$n" -v start="$start" '
	/^Run Time/ { u += $6; s += $8 }
	END {
		"date +%s.%N" | getline now
		printf "floor_entries %d\n", n
		printf "floor_cpu_seconds %.2f (user %.2f, sys %.2f)\n", u + s, u, s
		printf "floor_wall_seconds %.2f\n", now - start
		printf "floor_cpu_us_per_entry %.1f\n", (u + s) / n * 1e6
	}'
