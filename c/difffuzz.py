#!/usr/bin/env python3
"""Differential fuzzing of the C reader against the Swift reader: random structural edits of
the manifests of the clean fixtures (a member deleted, added, retyped, a number or string
changed, an array element dropped or duplicated), re-packed with valid CRCs so that they reach
the schema, table and model rules; each file is judged by both readers through compare.py.

    difffuzz.py BNCONVERT BNMDUMP SCRATCH_DIR [COUNT] [SEED]
"""
import copy
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

VALUES = [None, True, False, 0, -1, 1, 2, 3, 64, 2 ** 53, 2 ** 53 + 1, 0.5, -0.0, 1e300, "", "x", "spatial",
          "per_activation", "gamma", "relu", "f32", "i8", "layer_norm", "groups", [], [1], [1, 1], [1, 4, 1, 1], {},
          {"name": "relu"}, {"epsilon": 0.001}]


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def mutate(manifest, rng):
    m = copy.deepcopy(manifest)
    all_paths = [p for p in paths(m) if p and p[0] != "provenance"]
    path = rng.choice(all_paths)
    parent = m
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    op = rng.randrange(6)
    if op == 0 and isinstance(parent, dict):
        del parent[last]
    elif op == 1 and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    elif op == 2 and isinstance(parent, list):
        del parent[last]
    elif op == 3 and isinstance(parent[last], int) and not isinstance(parent[last], bool):
        parent[last] = parent[last] + rng.choice([-64, -1, 1, 64, 2 ** 40])
    elif op == 4 and isinstance(parent[last], str):
        names = [x for p in paths(m) for x in [p and p[-1]] if isinstance(x, str)]
        parent[last] = rng.choice(names + ["", "relu", "spatial"])
    else:
        parent[last] = copy.deepcopy(rng.choice(VALUES))
    return m


def main():
    tool, dump, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    sys.setrecursionlimit(20000)
    seeds = []
    for name in ("defects/clean.bnm", "defects/clean_per_activation.bnm", "example.bnm"):
        src = open(os.path.join(compare.BNM_FIXTURES, name), "rb").read()
        _, _, _, m_off, m_len, d_off, d_len, _ = struct.unpack_from("<HHIQQQQI", src, 8)
        seeds.append((json.loads(src[m_off:m_off + m_len]), src[d_off:d_off + d_len]))
    seeds.append(compare.model_file(*compare.new_kinds_model()))  # grouped conv2d, layer_norm
    os.makedirs(scratch, exist_ok=True)
    for i in range(count):
        manifest, data = rng.choice(seeds)
        for _ in range(rng.randrange(1, 3)):
            manifest = mutate(manifest, rng)
        path = os.path.join(scratch, f"diff_{i}.bnm")
        with open(path, "wb") as handle:
            handle.write(compare.build(manifest, data, minor=rng.choice([0, 0, 0, 1])))
        compare.compare(tool, dump, path)
    print(f"{compare.passed} passed, {compare.failed} failed")
    sys.exit(1 if compare.failed else 0)


if __name__ == "__main__":
    main()
