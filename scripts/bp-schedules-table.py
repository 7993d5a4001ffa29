#!/usr/bin/env python3
"""The SCPL-vs-BP table of docs/performance.md from scripts/bench-bp-schedules.sh's JSON files:
per model, each run's median step time, samples/s, its ratio to SCPL async's samples/s, and for
the micro-batched BP schedules the peak micro-batches held and the peak held component-output
bytes per device (MiB), with the other schedules' bytes relative to gpipe's.
Usage: bp-schedules-table.py bench-results/bp-schedules/vgg.json bench-results/bp-schedules/lstm.json"""
import json, sys

for path in sys.argv[1:]:
    records = json.load(open(path))
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    scpl = next(r for r in records if r["method"] == "scpl")
    gpipe = next((r for r in records if r["pipeline"] == "gpipe"), None)
    print(f"**{name}** ({records[0]['rounds']} rounds of {records[0]['steps']} steps, batch {records[0]['batch_size']})\n")
    print("| method · pipeline | s/step (median) | samples/s | vs scpl async | held micro-batches per device | held MiB per device | bytes vs gpipe |")
    print("|---|---|---|---|---|---|---|")
    for r in records:
        held = r.get("peak_held_micro_batches")
        mib = r.get("peak_held_activation_bytes")
        ratio = "–"
        if mib and gpipe and gpipe.get("peak_held_activation_bytes"):
            ratio = " / ".join(f"{a / b:.2f}" for a, b in zip(mib, gpipe["peak_held_activation_bytes"]))
        print(
            f"| {r['method']} · {r['pipeline']} | {r['step_seconds_median']:.3f} | {r['samples_per_second']:.0f} | "
            f"{r['samples_per_second'] / scpl['samples_per_second']:.2f} | "
            f"{' / '.join(str(int(h)) for h in held) if held else '–'} | "
            f"{' / '.join(f'{b / 2**20:.2f}' for b in mib) if mib else '–'} | {ratio} |")
    print()
