#!/usr/bin/env python3
"""hls_check.py FILE... - rejects C outside the synthesizable subset the
HLS generator promises (docs/hls.md):

  alloc     no malloc / calloc / realloc / free / alloca
  recursion no function that calls itself
  fptr      no function pointers
  float     no float or double (hardware is integer only)
  label     every loop is a `for` with a label (`NAME: for (...)`);
            no while / do loops
  bounds    every `for` is `for (int v = A; v < B; v++)` (or `v += K`)
            with A, B integer literals or UPPER_CASE macros; or (a shared
            engine, docs/hls.md) B a descriptor value: a local
            `const int B = T[P]` with T a static const table and P a
            scalar parameter of the function, and the loop's body opening
            with `#pragma HLS LOOP_TRIPCOUNT min=a max=b` whose range
            holds every value of T
  vla       array sizes are integer literals or UPPER_CASE macros
  ii        every `#pragma HLS PIPELINE II=n` loop can reach II n: the
            static II proof of tests/hls_ii.py (accesses per bank and
            m_axi port per iteration against the ports) proves an II <= n
  burst     every m_axi access in a pipelined loop is a burst: in the
            loop's own body, its address one more at each iteration
            (tests/hls_ii.py --burst; the gather kinds' copies exempt);
            a loop with a 64-bit (uint64_t) or 128-bit (chai_b128)
            m_axi access has no byte-wide one

Prints `FILE:LINE: rule: text` per violation and exits 1 if there is any.
Uses only the Python standard library.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hls_ii  # noqa: E402

CONST = r"(?:-?\d+|[A-Z_][A-Z0-9_]*)"
FOR_OK = re.compile(
    r"for\s*\(\s*int\s+(\w+)\s*=\s*" + CONST + r"\s*;\s*\1\s*(?:<|<=)\s*" + CONST +
    r"\s*;\s*(?:\1\s*\+\+|\+\+\s*\1|\1\s*\+=\s*\d+)\s*\)")
TYPES = r"(?:u?int(?:8|16|32|64)_t|int|unsigned|char|short|long|float|double|bool)"
ARRAY = re.compile(r"\b" + TYPES + r"\s+\**\s*(\w+)\s*\[([^\]]*)\]")
FPTR = re.compile(r"\(\s*\*\s*\w*\s*\)\s*\(")
FOR_DESC = re.compile(
    r"for\s*\(\s*int\s+(\w+)\s*=\s*0\s*;\s*\1\s*<\s*([a-z_]\w*)\s*;\s*\1\s*\+\+\s*\)\s*\{")
TRIP = re.compile(r"\s*#pragma HLS LOOP_TRIPCOUNT min=(\d+) max=(\d+)\s*\n")
FUNC = re.compile(r"^[A-Za-z_][\w \*]*?\b(\w+)\s*\(([^;{}]*)\)\s*\{", re.M)


def strip(text):
    """Blanks comments and string/char literals, keeping line breaks."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def body_end(text, start):
    """Index after the brace block opening at text[start] == '{'."""
    depth = 0
    for k in range(start, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(text)


def synthesis_view(text):
    """Blanks the lines compiled only with -DCHAI_HLS_COUNT (the access
    count of the testbench, chai_fx.h: never synthesized), keeping line
    breaks: the #ifdef branch, or the #else branch of #ifndef."""
    out, stack = [], []  # per open #if: [this branch counts, its #else counts]
    for l in text.split("\n"):
        m = re.match(r"#\s*(ifdef|ifndef|if|else|elif|endif)\b\s*(\w*)", l.strip())
        if m and m.group(1) in ("ifdef", "ifndef", "if"):
            c = m.group(2) == "CHAI_HLS_COUNT"
            stack.append([m.group(1) == "ifdef" and c, m.group(1) == "ifndef" and c])
        elif m and m.group(1) in ("else", "elif") and stack:
            stack[-1] = [stack[-1][1], False]
        elif m and m.group(1) == "endif" and stack:
            stack.pop()
        out.append("" if any(e[0] for e in stack) else l)
    return "\n".join(out)


def desc_bound(raw, text, pos):
    """True when the loop at text[pos] is bounded by a descriptor value
    (the `bounds` rule's shared-engine form); raw is the source with the
    preprocessor lines, text without (same line breaks)."""
    m = FOR_DESC.match(text, pos)
    if not m:
        return False
    b = m.group(2)
    fs = [f for f in FUNC.finditer(text) if f.start() < pos]
    if not fs:
        return False
    f = fs[-1]
    scalars = re.findall(r"\bint\s+(\w+)\s*(?:,|$)", f.group(2))
    d = re.search(r"\bconst int\s+%s\s*=\s*(\w+)\[(\w+)\]\s*;" % re.escape(b), text[f.end():pos])
    if not d or d.group(2) not in scalars:
        return False
    tab = re.search(r"static const \w+ %s\[\d+\]\s*=\s*\{([^}]*)\}" % re.escape(d.group(1)), text)
    if not tab:
        return False
    vals = [int(v) for v in re.findall(r"-?\d+", tab.group(1))]
    # the TRIPCOUNT pragma opens the body (raw keeps it: same line numbers)
    line = text.count("\n", 0, m.end())
    rest = "\n".join(raw.split("\n")[line + 1:line + 2]) + "\n"
    t = TRIP.match(rest)
    return bool(t and vals and int(t.group(1)) <= min(vals) and max(vals) <= int(t.group(2)))


def check(path):
    raw = synthesis_view(open(path, encoding="utf-8", errors="replace").read())
    text = strip(raw)
    raw_s = text
    # preprocessor lines (pragmas, includes, defines) are not code
    text = "\n".join("" if l.lstrip().startswith("#") else l for l in text.split("\n"))
    errs = []

    def err(pos, rule, msg):
        errs.append("%s:%d: %s: %s" % (path, text.count("\n", 0, pos) + 1, rule, msg))

    for m in re.finditer(r"\b(malloc|calloc|realloc|free|alloca)\s*\(", text):
        err(m.start(), "alloc", "dynamic memory (%s)" % m.group(1))
    for m in re.finditer(r"\b(float|double)\b", text):
        err(m.start(), "float", "floating point type '%s'" % m.group(1))
    for m in FPTR.finditer(text):
        err(m.start(), "fptr", "function pointer")
    for m in re.finditer(r"\b(while|do)\b", text):
        err(m.start(), "label", "'%s' loop (only labelled for loops)" % m.group(1))
    for m in re.finditer(r"\bfor\s*\(", text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start:m.start()]
        if not re.fullmatch(r"\s*[A-Za-z_]\w*\s*:\s*", before):
            err(m.start(), "label", "loop without a label")
        if not FOR_OK.match(text, m.start()) and not desc_bound(raw_s, text, m.start()):
            end = text.find(")", m.start())
            err(m.start(), "bounds", "loop bounds are not constants: " +
                " ".join(text[m.start():end + 1].split()))
    for m in ARRAY.finditer(text):
        size = m.group(2).strip()
        if size == "":
            rest = text[m.end():m.end() + 8].lstrip()
            if not rest.startswith("="):
                err(m.start(), "vla", "array '%s' without a size" % m.group(1))
        elif not re.fullmatch(r"\d+|[A-Z_][A-Z0-9_]*", size):
            err(m.start(), "vla", "array '%s' sized by '%s'" % (m.group(1), size))
    for m in FUNC.finditer(text):
        name = m.group(1)
        if name in ("if", "for", "switch", "while", "return", "sizeof"):
            continue
        start = text.find("{", m.end() - 1)
        body = text[start + 1:body_end(text, start) - 1]
        if re.search(r"\b%s\s*\(" % re.escape(name), body):
            err(m.start(), "recursion", "function '%s' calls itself" % name)
    return errs


def main(argv):
    if len(argv) < 2:
        print("usage: hls_check.py FILE...", file=sys.stderr)
        return 2
    errs = []
    for p in argv[1:]:
        errs += check(p)
        if p.endswith(".c") and not errs:
            try:
                rows, _ = hls_ii.analyse(p, False)
            except SystemExit as e:
                errs.append("%s:1: ii: %s" % (p, e))
                continue
            for fn, lab, _, req, pr, what, ok in rows:
                if not ok:
                    errs.append("%s:1: ii: %s loop %s requests II=%d, proven II %d (%s)" % (
                        p, fn, lab, req, pr, what))
            for fn, lab, what, ok, why, exempt in hls_ii.bursts(p):
                if not ok and not exempt:
                    errs.append("%s:1: burst: %s loop %s: m_axi access %s is not a burst (%s)" % (
                        p, fn, lab, what, why))
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
