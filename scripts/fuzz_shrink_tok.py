#!/usr/bin/env python3
# Used by scripts/fuzz.sh for the tokjson seeds: multi-MB real tokenizers run at a few
# executions per second under ASan (and time out in libFuzzer's seed merge), so they are cut.
# fuzz_shrink_tok.py IN OUT [N]: a real tokenizer.json cut to its first N vocab entries (ids renumbered
# 0..N-1 in id order), the merges whose parts and result are all kept, and the added tokens
# (renumbered after the vocab); everything else (normalizer, pre-tokenizer, decoder...) is kept.
import json, sys
src, dst = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 400
t = json.load(open(src, encoding="utf-8"))
m = t.get("model", {})
voc = m.get("vocab")
if isinstance(voc, dict):
    keep = [k for k, _ in sorted(voc.items(), key=lambda kv: kv[1])[:n]]
    m["vocab"] = {k: i for i, k in enumerate(keep)}
    ks = set(keep)
    out = []
    for mg in m.get("merges", []) or []:
        a, b = (mg.split(" ", 1) + [""])[:2] if isinstance(mg, str) else (mg + ["", ""])[:2]
        if a in ks and b in ks and a + b in ks:
            out.append(mg)
    m["merges"] = out
    at = t.get("added_tokens") or []
    for i, tok in enumerate(at[:64]):
        tok["id"] = len(keep) + i
    t["added_tokens"] = at[:64]
json.dump(t, open(dst, "w", encoding="utf-8"), ensure_ascii=False)
