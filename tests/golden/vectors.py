"""vectors: the reader of the golden vector files (docs/formats.md §2),
shared by check-entries-v1.py and check-protocol-v1.py: blocks of
"key: value" lines separated by blank lines, "#" lines are comments."""


def read_vectors(path):
    vecs, cur = [], None
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            line = raw.decode("utf-8")
            if line.startswith("#"):
                continue
            if line == "":
                cur = None
                continue
            if cur is None:
                cur = {}
                vecs.append(cur)
            key, _, val = line.partition(":")
            if val.startswith(" "):
                val = val[1:]
            assert key not in cur, f"duplicate key {key}"
            cur[key] = val
    return vecs
