#!/usr/bin/env python3
"""guide_check.py GUIDE REPO SCRATCH - applies docs/adding-a-layer.md.

The guide's worked example is marked up with HTML comments in front of its
code blocks:

  <!-- guide:new PATH -->             the block is the whole new file PATH
  <!-- guide:insert PATH before TEXT --> the block's lines go right before
                                       the first line of PATH starting
                                       with TEXT

This script copies the files of REPO that git tracks (plus uncommitted
changes) to SCRATCH, then:
  1. takes the example out: deletes each new file and removes each inserted
     block, requiring the tree to hold exactly what the guide shows (so the
     guide cannot drift from the code);
  2. checks the kind is then gone from compiler/, runtime/ and templates/
     (nothing else wires it) and that the guide's steps touch at most 6
     code files (the count docs/adding-a-layer.md states);
  3. follows the guide's steps on that tree and requires the result to be
     byte-identical to REPO's files.
SCRATCH is then a tree built only by following the guide; tests/guide.sh
builds it and runs the new kind through every stage.
Exit 0 on success, 1 with a message on the first mismatch.
"""
import os
import re
import shutil
import subprocess
import sys

STEP = re.compile(r"<!-- guide:(new|insert) (\S+)(?: before (.*?))? -->\s*\n```[a-z]*\n(.*?)```", re.S)


def fail(msg):
    print("guide_check: FAIL: " + msg)
    sys.exit(1)


def steps(guide):
    text = open(guide, encoding="utf-8").read()
    out = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in STEP.finditer(text)]
    if not out:
        fail("%s has no <!-- guide:... --> steps" % guide)
    m = re.search(r"touches (\d+) code files", text)
    if not m:
        fail("%s does not state how many code files a new kind touches" % guide)
    return out, int(m.group(1))


def copy_tree(repo, scratch):
    files = subprocess.run(["git", "-C", repo, "ls-files", "-co", "--exclude-standard"],
                           check=True, capture_output=True, text=True).stdout.split("\n")
    for f in files:
        if not f or f.startswith("build") or not os.path.isfile(os.path.join(repo, f)):
            continue
        dst = os.path.join(scratch, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(repo, f), dst)


def anchor_index(lines, path, before):
    for i, line in enumerate(lines):
        if line.startswith(before):
            return i
    fail("%s: no line starts with %r (the guide's anchor)" % (path, before))


def main():
    guide, repo, scratch = sys.argv[1:4]
    todo, stated = steps(guide)
    shutil.rmtree(scratch, ignore_errors=True)
    copy_tree(repo, scratch)
    code = sorted({p for _, p, _, _ in todo if not p.startswith("docs/") and not p.startswith("tests/")})
    if len(code) > stated:
        fail("the guide touches %d code files (%s), it states %d" % (len(code), ", ".join(code), stated))
    if stated > 6:
        fail("a new kind must touch at most 6 code files; the guide states %d" % stated)
    kind = None
    # 1. take the example out of the scratch tree
    for op, path, before, block in todo:
        f = os.path.join(scratch, path)
        if op == "new":
            if not os.path.isfile(f) or open(f, encoding="utf-8").read() != block:
                fail("%s in the tree is not the file the guide shows" % path)
            os.remove(f)
            m = re.match(r"compiler/layers/(\w+)\.c$", path)
            if m:
                kind = m.group(1)
        else:
            lines = open(f, encoding="utf-8").read().split("\n")
            blines = block[:-1].split("\n")
            i = anchor_index(lines, path, before)
            if lines[i - len(blines):i] != blines:
                fail("%s: the lines right before %r are not the guide's block" % (path, before))
            del lines[i - len(blines):i]
            open(f, "w", encoding="utf-8").write("\n".join(lines))
    if not kind:
        fail("the guide adds no compiler/layers/<kind>.c")
    # 2. nothing else mentions the kind
    for top in ("compiler", "runtime", "templates"):
        for d, _, fs in os.walk(os.path.join(scratch, top)):
            for name in fs:
                p = os.path.join(d, name)
                if re.search(kind, open(p, encoding="utf-8", errors="replace").read(), re.I):
                    fail("%s still mentions '%s' after the guide's steps were taken out: "
                         "the guide misses a step" % (os.path.relpath(p, scratch), kind))
    # 3. follow the guide
    for op, path, before, block in todo:
        f = os.path.join(scratch, path)
        if op == "new":
            os.makedirs(os.path.dirname(f), exist_ok=True)
            open(f, "w", encoding="utf-8").write(block)
        else:
            lines = open(f, encoding="utf-8").read().split("\n")
            i = anchor_index(lines, path, before)
            lines[i:i] = block[:-1].split("\n")
            open(f, "w", encoding="utf-8").write("\n".join(lines))
    for _, path, _, _ in todo:
        a = open(os.path.join(scratch, path), "rb").read()
        b = open(os.path.join(repo, path), "rb").read()
        if a != b:
            fail("%s after following the guide differs from the repository's" % path)
    print("guide_check: ok: %d steps over %d code files (%s) rebuild kind '%s' exactly"
          % (len(todo), len(code), ", ".join(code), kind))


if __name__ == "__main__":
    main()
