-- The floor: what SQLite itself needs to store 200k entries with this
-- schema (entries, posts and their indexes, FTS5), set-based in one
-- transaction, no crypto, no JSON. Run: sqlite3 /tmp/floor.db < tests/bench/sqlite_floor.sql
-- (on a fresh /tmp/floor.db). docs/benchmarks.md compares stoa with it.
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-32768;
CREATE TABLE e(n INTEGER PRIMARY KEY, id BLOB UNIQUE, author BLOB, seq INT, kind INT, ts INT, signed BLOB, payload BLOB, opaque INT, UNIQUE(author,seq));
CREATE TABLE p(entry INTEGER PRIMARY KEY, id BLOB, author BLOB, ts INT, topic TEXT, title TEXT, body TEXT, reply_to BLOB);
CREATE INDEX p_ts ON p(ts, id); CREATE INDEX p_topic ON p(topic, ts); CREATE INDEX p_author ON p(author, ts);
CREATE VIRTUAL TABLE f USING fts5(title, body, topic, content='p', content_rowid='entry', columnsize=0);
.timer on
INSERT INTO e SELECT value, randomblob(32), zeroblob(31)||char(value%40), value/40, 2, value, randomblob(186), randomblob(300), 0 FROM generate_series(1,200000);
INSERT INTO p SELECT n, id, author, ts, 'topic'||(n%12), 'a title here', 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua '||(n%1000)||' word'||(n%5000), NULL FROM e;
INSERT INTO f(rowid, title, body, topic) SELECT entry, title, body, topic FROM p;
