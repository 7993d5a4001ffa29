#!/usr/bin/env python3
# Which folder of a Swift target uses which: a type declared in one folder and named in a file of
# another is a use. Prints every pair of folders that use each other (a layering cycle) and exits
# 1 if there is one (on stderr), then the graph (on stdout). Comments and string literals are not read. Usage:
#   scripts/folder-layers.py Sources/SCPL
import os, re, sys, collections
root = sys.argv[1]
files = {}
for folder in sorted(os.listdir(root)):
    p = os.path.join(root, folder)
    if not os.path.isdir(p): continue
    for dp, _, fs in os.walk(p):
        for f in fs:
            if f.endswith('.swift'):
                files[os.path.join(dp, f)] = folder
owner = {}
texts = {}
for path, folder in files.items():
    t = open(path).read()
    # strip comments and strings roughly
    t2 = re.sub(r'//.*', '', t)
    t2 = re.sub(r'"(?:\\.|[^"\\])*"', '""', t2)
    texts[path] = t2
    # only top-level-ish declarations (indentation 0)
    for m in re.finditer(r'^(?:public |internal |final |open |private |fileprivate |indirect )*(?:class|struct|enum|protocol|typealias|actor)\s+([A-Z]\w*)', t2, re.M):
        owner.setdefault(m.group(1), folder)
uses = collections.defaultdict(lambda: collections.defaultdict(set))
for path, folder in files.items():
    words = set(re.findall(r'\b[A-Z]\w*\b', texts[path]))
    for w in words:
        o = owner.get(w)
        if o and o != folder:
            uses[folder][o].add((w, os.path.relpath(path, root)))
cycles = 0
for a in sorted(uses):
    for b in sorted(uses[a]):
        if a < b and a in uses.get(b, {}):
            cycles += 1
            print(f"{a} <-> {b}", file=sys.stderr)
            print(f"   {a} uses {b}: " + ", ".join(sorted({f'{w} ({p})' for w, p in uses[a][b]}))[:1500], file=sys.stderr)
            print(f"   {b} uses {a}: " + ", ".join(sorted({f'{w} ({p})' for w, p in uses[b][a]}))[:1500], file=sys.stderr)
print("folder pairs referencing each other:", cycles)
print("uses:")
for a in sorted(uses):
    print(f"  {a} -> {', '.join(sorted(uses[a]))}")
sys.exit(1 if cycles else 0)
