#!/usr/bin/env python3
"""hls_ii.py [--exact] [--burst] [-q] [--counts OUT] FILE.c... - static II proof of generated HLS C.

For every loop with `#pragma HLS PIPELINE II=n` it counts the memory
accesses of one iteration.  A loop's bound may be a descriptor local (the
shared engine, docs/hls.md): a function with a scalar parameter (`int L`)
is sampled at every row of the static const tables it indexes, the
tables' initializers giving the descriptor values.  Loops nested in the pipelined loop unroll
fully, and `#pragma HLS UNROLL factor=F` on the pipelined loop itself makes
one iteration do F of them.  Every subscript is evaluated (integer C
arithmetic, the `const int` locals in order) for every combination of the
unrolled loop variables, at a few sample values of the outer loop
variables.  Each address is mapped to its bank and word by the array's
ARRAY_PARTITION / ARRAY_RESHAPE pragmas (complete, cyclic, block; factor,
dim).  Distinct words per bank and iteration (reads plus writes) against
the ports give the II the loop can reach:

  * an on-chip array (static const ROM or local array): 2 ports per bank;
  * an array partitioned completely in every dimension: registers, no limit;
  * a pointer parameter: an m_axi port, one read and one write per cycle;
    `wts` is its own port (bundle gmem1), every other pointer is the
    feature-map port `fm` (gmem0); a `uint64_t *` pointer (the shared
    engine's fm64 / wts64 with target.port_bits: 64) moves a 64-bit beat
    per access, a `chai_b128 *` one (fm128 / wts128, port_bits: 128) a
    128-bit beat, and its port is the one its name starts with.

It prints one row per pipelined loop (function, loop, iterations per
entry, requested II, proven II, the array that limits it), then the
multipliers the pipelined loops instantiate (products of two array
elements and packed pairs fx_mul2, times the unrolled copies of the loops
around them), and fails
when a
loop requests an II below the proven one; with --exact, also when the
requested II is not exactly the proven one (chaicc writes its proven II
into the pragma, so this confirms chaicc's figure).  The access macros of
templates/hls/chai_fx.h (CHAI_R(A, [i]) ...) are read as the plain
accesses they stand for.  --counts OUT writes, per pipelined loop, "loop
FUNC LABEL req R proven P" and "count LABEL KEY N" lines: KEY an on-chip
array (N its most distinct words in one bank, reads and writes apart) or an
m_axi port and direction, fm.r / fm.w / wts.r (N the beats); the same
figures the instrumented testbench prints (tests/hls_dyn.sh).

--burst also proves the burst property: every m_axi access in a pipelined
loop sits in the loop's own body (not in an unrolled loop, no `continue`)
and its address grows by exactly 1 from one iteration to the next, at
three samples of the outer loop variables; it prints NOBURST per other
access and fails.  Accesses of the gather kinds (GATHER: Upsample,
ShuffleChannel, Permute, Crop, Reshape, Flatten copies) are printed, not
failed: they are not bursts yet.  A pipelined loop that accesses a 64- or
128-bit m_axi pointer must not access a byte-wide one (a byte per cycle inside a
beat-wide burst).  docs/hls.md.
"""
import ast
import itertools
import re
import sys

LOOP = re.compile(r'(\w+)\s*:\s*for\s*\(\s*int\s+(\w+)\s*=\s*(-?\d+)\s*;\s*\w+\s*<\s*(\d+|\w+)\s*;\s*\w+\+\+\s*\)')
PRAGMA = re.compile(r'#pragma HLS (ARRAY_PARTITION|ARRAY_RESHAPE) variable=(\w+) (complete|cyclic|block)'
                    r'(?: factor=(\d+))?(?: dim=(\d+))?')
GARR = re.compile(r'static const \w+ (\w+)((?:\[\d+\])+)\s*=')
LARR = re.compile(r'^\s*\w+ (\w+)((?:\[\d+\])+);', re.M)
FUNC = re.compile(r'^(?:static )?void (\w+)\(([^)]*)\)\s*\{', re.M)
DECL = re.compile(r'const\s+int(?:32_t|64_t)?\s+([^;]*);')


def strip_comments(s):
    return re.sub(r'/\*.*?\*/', lambda m: ' ' * len(m.group(0)), s, flags=re.S)


ACCESS = re.compile(r'\bCHAI_(?:R|W|RW|MR|MW)\(')


def unwrap(s):
    """The access macros of chai_fx.h as the plain accesses they expand to:
    CHAI_R(A, [i][j]) -> A[i][j] (A may be "(wts + N)")."""
    out, i = [], 0
    for m in ACCESS.finditer(s):
        if m.start() < i:
            continue
        d, j = 1, m.end()
        while d:
            d += {'(': 1, ')': -1}.get(s[j], 0)
            j += 1
        inner = unwrap(s[m.end():j - 1])
        d, k = 0, 0
        while inner[k] != ',' or d:
            d += {'(': 1, ')': -1, '[': 1, ']': -1}.get(inner[k], 0)
            k += 1
        out.append(s[i:m.start()] + inner[:k].strip() + inner[k + 1:].strip())
        i = j
    out.append(s[i:])
    return ''.join(out)


def match_brace(s, i):
    """Index after the brace that closes s[i] == '{'."""
    d = 0
    for j in range(i, len(s)):
        if s[j] == '{':
            d += 1
        elif s[j] == '}':
            d -= 1
            if d == 0:
                return j + 1
    raise ValueError('unbalanced braces')


class Ev(ast.NodeVisitor):
    """Integer C arithmetic over a name table (truncating / and %); a
    subscript T[i] of a static const table reads its initializer
    (ROMS: name -> list of values, filled by analyse)."""
    def __init__(self, env):
        self.env = env

    def visit_Subscript(self, n):
        if not isinstance(n.value, ast.Name) or n.value.id not in ROMS:
            raise KeyError('subscript')
        sl = n.slice.value if isinstance(n.slice, ast.Index) else n.slice
        return ROMS[n.value.id][self.visit(sl)]

    def visit_Expression(self, n):
        return self.visit(n.body)

    def visit_Constant(self, n):
        return int(n.value)

    def visit_Name(self, n):
        if n.id not in self.env:
            raise KeyError(n.id)
        return self.env[n.id]

    def visit_UnaryOp(self, n):
        v = self.visit(n.operand)
        return -v if isinstance(n.op, ast.USub) else v

    def visit_BinOp(self, n):
        a, b = self.visit(n.left), self.visit(n.right)
        if isinstance(n.op, ast.Add):
            return a + b
        if isinstance(n.op, ast.Sub):
            return a - b
        if isinstance(n.op, ast.Mult):
            return a * b
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        if isinstance(n.op, (ast.Div, ast.FloorDiv)):
            return q
        if isinstance(n.op, ast.Mod):
            return a - q * b
        raise ValueError('operator')

    def generic_visit(self, n):
        raise ValueError('unsupported expression')


ROMS = {}
PARSED = {}


def cval(expr, env):
    t = PARSED.get(expr)
    if t is None:
        e = re.sub(r'\((?:u?int\d+_t|int)\)', '', expr).replace('/', '//')
        t = PARSED[expr] = ast.parse(e.strip(), mode='eval')
    return Ev(env).visit(t)


def rom_values(src, name):
    """The initializer of static const table name (integers)."""
    m = re.search(r'static const \w+ %s\[\d+\]\s*=\s*\{([^}]*)\}' % re.escape(name), src)
    return [int(v) for v in re.findall(r'-?\d+', m.group(1))] if m else []


def bound(l, env):
    """Loop l's trip bound: its literal, or the descriptor local it names
    (evaluated in env; None when not known there)."""
    if isinstance(l['hi'], int):
        return l['hi']
    return env.get(l['hi'])


def samples(lp, outer, odecl, params):
    """The environments of the outer loop variables at which pipelined
    loop lp is sampled: for each value of the function's scalar
    parameters (params: [(name, values)]: every layer of a shared engine),
    three samples of the outer loops (first, second, last iteration); with
    lp's trip bound.  Samples where a loop does not run are left out."""
    combos = itertools.product(*[[(n, v) for v in vs] for n, vs in params]) if params else [()]
    for combo in combos:
        for sample in range(3):
            env = dict(combo)
            decl_env(odecl, env)  # the descriptor locals
            ok = True
            for l in outer:
                hi = bound(l, env)
                if hi is None or hi <= l['lo']:
                    ok = False
                    break
                env[l['var']] = [l['lo'], min(l['lo'] + 1, hi - 1), hi - 1][sample]
            if not ok:
                continue
            decl_env(odecl, env)  # and those of the loop variables
            hi = bound(lp, env)
            if hi is not None and hi > lp['lo']:
                yield sample, env, hi


def decl_env(decl, env):
    """Evaluates the const int locals decl into env, in order (those not
    computable yet are left out)."""
    for n, e, _ in decl:
        try:
            env[n] = cval(e, env)
        except (KeyError, ValueError, ZeroDivisionError, SyntaxError, IndexError):
            pass


def subscripts(s, i):
    """The [..][..] groups starting at s[i] == '['; (list, end)."""
    out = []
    while i < len(s) and s[i] == '[':
        d, j = 0, i
        while True:
            if s[j] == '[':
                d += 1
            elif s[j] == ']':
                d -= 1
                if d == 0:
                    break
            j += 1
        out.append(s[i + 1:j])
        i = j + 1
        while i < len(s) and s[i] == ' ' and i + 1 < len(s) and s[i + 1] == '[':
            i += 1
    return out, i


class Array:
    def __init__(self, name, dims, kind, bits=8):
        self.name, self.dims, self.kind, self.bits = name, dims, kind, bits
        self.spec = {}  # dim (1-based) -> (pragma, type, factor)

    def registers(self):
        return self.kind != 'maxi' and all(
            self.spec.get(d + 1, ('', '', 0))[1] == 'complete' and self.spec[d + 1][0] == 'ARRAY_PARTITION'
            for d in range(len(self.dims)))

    def place(self, idx):
        """(bank, word) of an index tuple."""
        bank, word = [], []
        for d, v in enumerate(idx):
            n = self.dims[d] if d < len(self.dims) else 1
            prag, typ, f = self.spec.get(d + 1, ('', '', 0))
            if not prag:
                word.append(v)
            elif typ == 'complete':
                (bank if prag == 'ARRAY_PARTITION' else [None]).append(v)
            elif typ == 'cyclic':
                if prag == 'ARRAY_PARTITION':
                    bank.append(v % f), word.append(v // f)
                else:
                    word.append(v // f)
            else:  # block
                bs = -(-n // f)
                if prag == 'ARRAY_PARTITION':
                    bank.append(v // bs), word.append(v % bs)
                else:
                    word.append(v % bs)
        return tuple(bank), tuple(word)


def loops_of(body):
    """Labelled for loops of a function body: dicts with label, var, lo,
    hi, start, end (their extent in body), text position of their body."""
    out = []
    for m in LOOP.finditer(body):
        j = m.end()
        while body[j] in ' \n':
            j += 1
        end = match_brace(body, j) if body[j] == '{' else body.index(';', j) + 1
        hi = int(m.group(4)) if m.group(4).lstrip('-').isdigit() else m.group(4)
        out.append(dict(label=m.group(1), var=m.group(2), lo=int(m.group(3)), hi=hi,
                        start=m.start(), bstart=j, end=end))
    return out


def direct_text(body, lp, loops):
    """The text of lp's body without its nested loops."""
    inner = [l for l in loops if lp['bstart'] < l['start'] < lp['end']]
    t, i = [], lp['bstart']
    for l in sorted(inner, key=lambda l: l['start']):
        if l['start'] >= i:
            t.append(body[i:l['start']])
            i = l['end']
    t.append(body[i:lp['end']])
    return ''.join(t)


def decls(text):
    """(name, expr) of the const int locals in text, in order."""
    out = []
    for m in DECL.finditer(text):
        for part in split_top(m.group(1)):
            if '=' in part:
                n, e = part.split('=', 1)
                out.append((n.strip(), e.strip(), m.start()))
    return out


def split_top(s):
    parts, d, cur = [], 0, ''
    for ch in s:
        if ch in '([':
            d += 1
        elif ch in ')]':
            d -= 1
        if ch == ',' and d == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return parts


def accesses(text, arrays):
    """(array name, offset expr or None, subscripts, pos, read, write)."""
    out = []
    for m in re.finditer(r'\(\s*(\w+)\s*\+\s*(\d+)\s*\)\s*\[|\b(\w+)\s*\[', text):
        name = m.group(1) or m.group(3)
        if name not in arrays:
            continue
        subs, end = subscripts(text, m.end() - 1)
        after = text[end:end + 3]
        w = re.match(r'\s*=[^=]', after) is not None
        rw = re.match(r'\s*(\+|-|\*|/|%|&|\||\^|<<|>>)=', text[end:end + 4]) is not None
        out.append((name, m.group(2), subs, m.start(), not w or rw, w or rw))
    return out


def beat_bits(param):
    """Bits per access of pointer parameter param: 64 for a uint64_t
    pointer, 128 for a chai_b128 one (the struct of two uint64_t words
    DATA_PACK makes one bus word), else 8."""
    m = re.match(r'(?:const\s+)?(uint64_t|chai_b128)\b', param.strip())
    return {'uint64_t': 64, 'chai_b128': 128}[m.group(1)] if m else 8


def burst_check(path, fname, lp, inner, odecl, idecl, acc, local, outer, dt, params):
    """The burst property of pipelined loop lp: each m_axi access (not in
    an unrolled loop, no `continue` in the loop's own body) has address
    a(i + 1) = a(i) + 1 across consecutive iterations i of the loop, at
    three samples of the outer loop variables (for every value of the
    scalar parameters params).  Appends (function, loop, access, ok, why)
    to analyse.bursts."""
    wide = max([local[a[0]].bits for a in acc if local[a[0]].kind == 'maxi'] + [8])
    for name, off, subs, pos, rd, wr in acc:
        if local[name].kind != 'maxi':
            continue
        what = '%s[%s] (%s)' % (name, ']['.join(subs), 'write' if wr else 'read')
        why = ''
        if wide > 8 and local[name].bits == 8:
            why = 'a byte-wide access in a %d-bit burst loop' % wide
        elif any(l['bstart'] - lp['bstart'] <= pos < l['end'] - lp['bstart'] for l in inner):
            why = 'inside an unrolled loop: several addresses per iteration'
        elif re.search(r'\bcontinue\b', dt):
            why = 'the loop body skips iterations (continue)'
        else:
            for sample, env, hi in samples(lp, outer, odecl, params):
                if hi - lp['lo'] <= 1:
                    continue
                i0 = [lp['lo'], (lp['lo'] + hi) // 2 - 1, hi - 2][sample]
                addr = []
                for i in (i0, i0 + 1):
                    e2 = dict(env)
                    e2[lp['var']] = i
                    for l in inner:
                        e2[l['var']] = l['lo']
                    decl_env(idecl, e2)
                    try:
                        addr.append(cval(subs[0], e2))
                    except (KeyError, ValueError, ZeroDivisionError, SyntaxError, IndexError):
                        addr.append(None)
                if None in addr:
                    why = 'address not a function of the loop variables'
                    break
                if addr[1] - addr[0] != 1:
                    why = 'address step %d between iterations' % (addr[1] - addr[0])
                    break
        analyse.bursts.append((fname, lp['label'], what, not why, why))


def analyse(path, exact):
    src = unwrap(strip_comments(open(path).read()))
    ROMS.clear()
    arrays = {}
    for m in GARR.finditer(src):
        arrays[m.group(1)] = Array(m.group(1), [int(x) for x in re.findall(r'\d+', m.group(2))], 'rom')
    rows, bad = [], 0
    muls = [0]
    analyse.counts = []
    analyse.bursts = []
    for fm in FUNC.finditer(src):
        fname = fm.group(1)
        b0 = fm.end() - 1
        body = src[b0:match_brace(src, b0)]
        local = dict(arrays)
        for p in fm.group(2).split(','):
            pm = re.search(r'\*\s*(\w+)$', p.strip())
            if pm:
                local[pm.group(1)] = Array(pm.group(1), [1 << 40], 'maxi', beat_bits(p))
        # scalar parameters (a shared engine's layer index): sampled at
        # every row of the tables they index
        params = []
        for p in fm.group(2).split(','):
            pm = re.fullmatch(r'int\s+(\w+)', p.strip())
            if pm:
                tm = re.search(r'\b(\w+)\[%s\]' % pm.group(1), body)
                if not tm or tm.group(1) not in arrays:
                    raise SystemExit('%s: %s: parameter %s indexes no table' % (path, fname, pm.group(1)))
                params.append((pm.group(1), list(range(arrays[tm.group(1)].dims[0]))))
        for m in re.finditer(r'\b(\w+)\[\w+\]', body):
            if m.group(1) in arrays and m.group(1) not in ROMS and params:
                ROMS[m.group(1)] = rom_values(src, m.group(1))
        for m in LARR.finditer(body):
            local[m.group(1)] = Array(m.group(1), [int(x) for x in re.findall(r'\d+', m.group(2))], 'ram')
        for m in PRAGMA.finditer(src):
            a = local.get(m.group(2))
            # a ROM's pragma may sit in any function; a local's in its own
            if a is not None and (a.kind == 'rom' or b0 <= m.start() < b0 + len(body)):
                a.spec[int(m.group(5) or 1)] = (m.group(1), m.group(3), int(m.group(4) or 0))
        loops = loops_of(body)
        for lp in loops:
            dt = direct_text(body, lp, loops)
            pm = re.search(r'#pragma HLS PIPELINE(?: II=(\d+))?', dt)
            if not pm:
                continue
            req = int(pm.group(1) or 1)
            um = re.search(r'#pragma HLS UNROLL factor=(\d+)', dt)
            uf = int(um.group(1)) if um else 1
            outer = [l for l in loops if l['start'] < lp['start'] and lp['end'] <= l['end']]
            inner = [l for l in loops if lp['bstart'] < l['start'] < lp['end']]
            text = body[lp['bstart']:lp['end']]
            acc = accesses(text, local)
            odecl = decls(body[:lp['start']])  # locals of the enclosing scopes
            idecl = decls(text)
            # multipliers: products of two array elements (a ']' before
            # the '*', an array access after it), once per unrolled copy
            nmul = 0
            for m in re.finditer(r'\]\s*\*\s*(?:\(\s*(\w+)\s*\+\s*\d+\s*\)|(?:\([^()]*\)\s*)?(\w+))\s*\[', text):
                if (m.group(1) or m.group(2)) not in local:
                    continue
                copies = uf
                for l in inner:
                    if l['bstart'] - lp['bstart'] <= m.start() < l['end'] - lp['bstart']:
                        copies *= l['hi'] - l['lo']
                nmul += copies
            # a packed pair (chai_fx.h fx_mul2: one DSP48E2 multiplier
            # for two 8-bit products) is one multiplier per unrolled copy
            for m in re.finditer(r'\bfx_mul2\s*\(', text):
                copies = uf
                for l in inner:
                    if l['bstart'] - lp['bstart'] <= m.start() < l['end'] - lp['bstart']:
                        copies *= l['hi'] - l['lo']
                nmul += copies
            burst_check(path, fname, lp, inner, odecl, idecl, acc, local, outer, dt, params)
            per = {}  # '_ii' -> (proven II, what limits it)
            keys = {}  # array or port.direction -> max distinct words per bank / beats
            trips = 0
            for sample, env, lhi in samples(lp, outer, odecl, params):
                trips = max(trips, lhi - lp['lo'])
                base = [lp['lo'], lp['lo'] + uf, lhi - uf][sample]
                base = max(lp['lo'], base - (base - lp['lo']) % uf)
                uvars = [(lp['var'], [base + u for u in range(uf) if base + u < lhi])]
                uvars += [(l['var'], list(range(l['lo'], l['hi']))) for l in inner]
                words = {}  # (array, bank) -> set of (rw, word); maxi: array port -> reads, writes
                for combo in itertools.product(*[v for _, v in uvars]):
                    e2 = dict(env)
                    e2.update({uvars[i][0]: combo[i] for i in range(len(uvars))})
                    for n, e, _ in idecl:
                        try:
                            e2[n] = cval(e, e2)
                        except (KeyError, ValueError, ZeroDivisionError, SyntaxError):
                            pass
                    for name, off, subs, pos, rd, wr in acc:
                        # only the unrolled loops that contain the access
                        # vary it; the others are fixed at their first value
                        ctx = dict(e2)
                        for l in inner:
                            if not (l['bstart'] - lp['bstart'] <= pos < l['end'] - lp['bstart']):
                                ctx[l['var']] = l['lo']
                        a = local[name]
                        try:
                            idx = tuple(cval(s, ctx) for s in subs)
                        except (KeyError, ValueError, ZeroDivisionError, SyntaxError) as ex:
                            # one access per iteration needs no address
                            # (e.g. y0[o++]); an unrolled one does
                            if uf > 1 or any(l['bstart'] - lp['bstart'] <= pos < l['end'] - lp['bstart']
                                             for l in inner):
                                raise SystemExit('%s: %s: cannot evaluate %s[%s] (%s)' % (
                                    path, fname, name, ']['.join(subs), ex))
                            idx = None
                        if idx is None:
                            key = ('fm' if a.kind == 'maxi' and 'wts' not in name else 'wts' if a.kind == 'maxi' else name)
                            for f, on in (('r', rd), ('w', wr)):
                                if on and not a.registers():
                                    k2 = (key, f) if a.kind == 'maxi' else (name, ('?',))
                                    words.setdefault(k2, set()).add((name, -1 - pos) if a.kind == 'maxi' else (f, ('?', pos)))
                            continue
                        if a.kind == 'maxi':
                            port = 'wts' if 'wts' in name else 'fm'
                            addr = (name, (int(off) if off else 0) + idx[0])
                            for f, on in (('r', rd), ('w', wr)):
                                if on:
                                    words.setdefault((port, f), set()).add(addr)
                        elif not a.registers():
                            bank, word = a.place(idx)
                            for f, on in (('r', rd), ('w', wr)):
                                if on:
                                    words.setdefault((name, bank), set()).add((f, word))
                for key, ws in words.items():
                    ck = '%s.%s' % key if key[1] in ('r', 'w') else key[0]
                    keys[ck] = max(keys.get(ck, 0), len(ws))
                    if key[1] in ('r', 'w'):  # an m_axi port (banks are tuples)
                        ii, what = len(ws), 'm_axi %s (%d %s)' % (key[0], len(ws), 'reads' if key[1] == 'r' else 'writes')
                    else:
                        ii, what = -(-len(ws) // 2), '%s (%d accesses to one bank)' % (key[0], len(ws))
                    if ii > per.get('_ii', (0, ''))[0]:
                        per['_ii'] = (ii, what)
            proven, what = per.get('_ii', (1, 'registers only'))
            proven = max(proven, 1)
            ok = req >= proven and (not exact or req == proven)
            if not ok:
                bad += 1
            rows.append((fname, lp['label'], -(-trips // uf), req, proven, what, ok))
            analyse.counts.append((fname, lp['label'], req, proven, sorted(keys.items())))
            muls[0] += nmul
    analyse.muls = muls[0]
    return rows, bad


HEAD = re.compile(r'^/\* ([^\n:]+): (\w+)', re.M)


def kinds(path):
    """Function name -> layer type, from the comment the templates put
    above each layer function ("/* name: Type ...", templates/hls/lib.lua)."""
    raw = open(path).read()
    heads = [(m.start(), m.group(2)) for m in HEAD.finditer(raw)]
    out = {}
    for m in FUNC.finditer(raw):
        before = [t for pos, t in heads if pos < m.start()]
        if before:
            out[m.group(1)] = before[-1]
    return out


# Layer types whose copy loops gather (their reads are not bursts yet):
# the burst rule reports them and does not fail (docs/hls.md).  These are
# the kinds whose hls_fn renders hls/gather (rs_gather_hls: Upsample,
# ShuffleChannel, CropCenter, Reorg) or hls/permute (eh_permute_fn,
# eh_copy_fn: Permute, Reshape, Flatten, Dropout).
GATHER = {'Upsample', 'ShuffleChannel', 'CropCenter', 'Reorg',
          'Permute', 'Reshape', 'Flatten', 'Dropout'}


def bursts(path):
    """(function, loop, access, ok, why, exempt) of every m_axi access in a
    pipelined loop of path (analyse must have run on it)."""
    k = kinds(path)
    return [b + (k.get(b[0]) in GATHER,) for b in analyse.bursts]


def main(argv):
    exact = '--exact' in argv
    burst = '--burst' in argv
    counts = None
    if '--counts' in argv:
        i = argv.index('--counts')
        counts = open(argv[i + 1], 'w')
        argv = argv[:i] + argv[i + 2:]
    nmul = 0
    quiet = '-q' in argv
    files = [a for a in argv if not a.startswith('-')]
    if not files:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    bad = nob = 0
    for f in files:
        rows, b = analyse(f, exact)
        bad += b
        nmul += analyse.muls
        if burst:
            for fn, lab, what, ok, why, ex in bursts(f):
                if not ok:
                    print('%s %-40s %-36s %s: not a burst: %s' % (
                        'EXEMPT ' if ex else 'NOBURST', fn, lab, what, why))
                    nob += 0 if ex else 1
        for fn, lab, req, proven, keys in analyse.counts if counts else []:
            counts.write('loop %s %s req %d proven %d\n' % (fn, lab, req, proven))
            for k, n in keys:
                counts.write('count %s %s %d\n' % (lab, k, n))
        for fn, lab, it, req, pr, what, ok in rows:
            if not quiet or not ok:
                print('%-4s %-40s %-36s iters %8d  II req %4d proven %4d  %s' % (
                    'ok' if ok else 'FAIL', fn, lab, it, req, pr, what))
    if counts:
        counts.close()
    print('multipliers: %d (products of two array elements and fx_mul2 pairs in pipelined loops, unrolled)' % nmul)
    if bad:
        print('%d pipelined loop(s) request an II below the proven one%s' % (
            bad, ' (or not equal to it)' if exact else ''), file=sys.stderr)
    if nob:
        print('%d m_axi access(es) in pipelined loops are not bursts' % nob, file=sys.stderr)
    return 1 if bad or nob else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
