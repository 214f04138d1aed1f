#!/usr/bin/env bash
# layering.sh [BUILD_DIR] - the source tree's shape: fails when
#   (1) a .c or .h file under compiler/ or runtime/ (recursively) has more
#       than 1,000 lines, or
#   (2) the module dependency graph has a cycle.  A module is a file base
#       name (foo.c + foo.h); A -> B when A.c or A.h includes "B.h" (or
#       "B.c"), local includes only ("..."; <...> is ignored; the directory
#       part of the path is dropped).
# Prints every offending file and one cycle per strongly connected
# component, as a chain of modules with the including file of each arrow.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - compiler runtime <<'PY'
import os, re, sys

LIMIT = 1000
files = []
for root in sys.argv[1:]:
    for d, _, names in os.walk(root):
        files += [os.path.join(d, f) for f in sorted(names) if f.endswith(('.c', '.h'))]
files.sort()
bad = 0

for f in files:
    with open(f, 'rb') as fh:
        n = fh.read().count(b'\n')
    if n > LIMIT:
        print(f'FAIL size: {f} has {n} lines (limit {LIMIT})')
        bad = 1

inc = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
mods = {os.path.splitext(os.path.basename(f))[0] for f in files}
edges = {}  # module -> {module: including file}
for f in files:
    a = os.path.splitext(os.path.basename(f))[0]
    with open(f, encoding='utf-8', errors='replace') as fh:
        for line in fh:
            m = inc.match(line)
            if not m:
                continue
            b = os.path.splitext(os.path.basename(m.group(1)))[0]
            if b in mods and b != a:
                edges.setdefault(a, {}).setdefault(b, f)

# Tarjan's strongly connected components, iteratively.
index, low, onstack, stack, sccs = {}, {}, set(), [], []
counter = 0
for start in sorted(mods):
    if start in index:
        continue
    work = [(start, iter(sorted(edges.get(start, {}))))]
    index[start] = low[start] = counter; counter += 1
    stack.append(start); onstack.add(start)
    while work:
        v, it = work[-1]
        w = next(it, None)
        if w is not None:
            if w not in index:
                index[w] = low[w] = counter; counter += 1
                stack.append(w); onstack.add(w)
                work.append((w, iter(sorted(edges.get(w, {})))))
            elif w in onstack:
                low[v] = min(low[v], index[w])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); onstack.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

def cycle_in(comp):
    """A shortest cycle through the component's first module (BFS)."""
    s = comp[0]
    inside = set(comp)
    prev = {s: None}
    queue = [s]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, {})):
            if w not in inside:
                continue
            if w == s:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [s]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp

for comp in sccs:
    cyc = cycle_in(comp)
    steps = ' -> '.join(cyc)
    print(f'FAIL cycle: {steps}')
    for a, b in zip(cyc, cyc[1:]):
        print(f'  {a} -> {b}  ({edges[a][b]} includes "{b}.h")')
    bad = 1

nedge = sum(len(v) for v in edges.values())
print(f'layering: {len(files)} files, {len(mods)} modules, {nedge} include arrows: '
      + ('FAILED' if bad else 'ok'))
sys.exit(bad)
PY
