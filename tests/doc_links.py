#!/usr/bin/env python3
"""doc_links.py [REPO] - the documentation's cross references resolve.

Checks, and prints every failure with its file and line:
  1. every relative markdown link `[text](path)` or `[text](path#anchor)`
     (or `[text](#anchor)`) in docs/*.md and README.md names an existing
     file, and its anchor is the GitHub anchor of a heading of the target
     markdown file (GitHub's rule: the heading's text without markdown
     markup, lower-cased, characters other than letters, digits, spaces,
     '-' and '_' dropped, spaces turned into '-', a repeated anchor
     suffixed -1, -2, ...);
  2. every quoted section reference `docs/NAME.md "Section"` (or
     `NAME.md, "Section"`) in docs/, README.md, compiler/, runtime/,
     templates/, tests/, bench/ and scripts/ names a file of docs/ with a
     heading that starts with Section, or a paragraph that opens with it
     in bold (`**Section**`).  Comment markers at line starts are joined
     away first, so a reference may wrap across comment lines.
Links inside code spans and fenced code blocks are ignored.  Exit 0 when
everything resolves, 1 otherwise.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..'))
LINK = re.compile(r'\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)\)')
QUOTED = re.compile(r'(?:docs/)?([\w-]+\.md),?\s+"([^"\n]+)"')


def strip_code(text):
    """text with fenced blocks and code spans blanked (line numbers kept)."""
    out, fence = [], False
    for line in text.split('\n'):
        if re.match(r'\s*(```|~~~)', line):
            fence = not fence
            out.append('')
            continue
        out.append('' if fence else re.sub(r'`[^`]*`', '``', line))
    return out


def anchor(heading, seen):
    """GitHub's anchor of a heading's text; seen counts repeats."""
    t = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)      # links -> their text
    t = re.sub(r'[*_`]', lambda m: '' if m.group(0) != '_' else '_', t)
    t = t.strip().lower()
    t = ''.join(c for c in t if c.isalnum() or c in ' -_')
    a = t.replace(' ', '-')
    n = seen.get(a, 0)
    seen[a] = n + 1
    return a if n == 0 else '%s-%d' % (a, n)


def headings(path, cache={}):
    """(anchors, heading texts, bold paragraph leads) of a markdown file."""
    if path not in cache:
        anchors, texts, bold, seen, fence = set(), [], [], {}, False
        for line in open(path, encoding='utf-8').read().split('\n'):
            if re.match(r'\s*(```|~~~)', line):
                fence = not fence
                continue
            if fence:
                continue
            m = re.match(r'#{1,6}\s+(.*?)\s*#*\s*$', line)
            if m:
                anchors.add(anchor(m.group(1), seen))
                texts.append(re.sub(r'[*`]', '', m.group(1)))
            for b in re.findall(r'\*\*([^*]+)\*\*', line):
                bold.append(b.replace('`', ''))
        cache[path] = (anchors, texts, bold)
    return cache[path]


def check_links(md, bad):
    for no, line in enumerate(strip_code(open(md, encoding='utf-8').read()), 1):
        for target in LINK.findall(line):
            if re.match(r'[a-z]+:', target):
                continue  # http:, https:, mailto:
            path, _, frag = target.partition('#')
            full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
            where = '%s:%d' % (os.path.relpath(md, ROOT), no)
            if not os.path.exists(full):
                bad.append('%s: link to a missing file: %s' % (where, target))
            elif frag and full.endswith('.md') and frag not in headings(full)[0]:
                bad.append('%s: no heading with anchor #%s in %s' % (where, frag, os.path.relpath(full, ROOT)))


def check_quoted(path, bad):
    try:
        text = open(path, encoding='utf-8').read()
    except (UnicodeDecodeError, OSError):
        return
    # join wrapped comment lines: newline + indentation + comment marker
    flat = re.sub(r'\n[ \t]*(?:#+|\*|--|//)?[ \t]*', ' ', text)
    for name, sec in QUOTED.findall(flat):
        doc = os.path.join(ROOT, 'docs', name)
        if not os.path.exists(doc):
            if name != 'README.md':
                bad.append('%s: quoted section of a missing doc: %s "%s"' % (os.path.relpath(path, ROOT), name, sec))
            continue
        _, texts, bold = headings(doc)
        sec_n = sec.replace('`', '').strip()
        if not any(t.startswith(sec_n) for t in texts) and not any(b.startswith(sec_n) for b in bold):
            bad.append('%s: docs/%s has no section "%s"' % (os.path.relpath(path, ROOT), name, sec))


def main():
    bad = []
    docs = sorted(os.path.join(ROOT, 'docs', f) for f in os.listdir(os.path.join(ROOT, 'docs')) if f.endswith('.md'))
    for md in docs + [os.path.join(ROOT, 'README.md')]:
        check_links(md, bad)
    nq = 0
    for top in ['docs', 'compiler', 'runtime', 'templates', 'tests', 'bench', 'scripts']:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if os.path.join(d, f) != os.path.abspath(__file__):
                    check_quoted(os.path.join(d, f), bad)
                nq += 1
    check_quoted(os.path.join(ROOT, 'README.md'), bad)
    for b in bad:
        print('FAIL ' + b)
    print('doc_links: %d markdown files, %d files scanned for quoted sections: %s'
          % (len(docs) + 1, nq + 1, 'ok' if not bad else '%d broken' % len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
