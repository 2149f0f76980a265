// Guards the interop comparisons against comparing a file with itself: checks (with
// @huggingface/gguf) that the three files really have the three QKV layouts.
//
//   node layout.mjs UNFUSED.gguf FUSED.gguf FUSED_SEPARATE_BIAS.gguf
//
// Per layer: unfused has attn_q/k/v.weight and no attn_qkv; fused has attn_qkv.weight only, and
// attn_qkv.bias when the model has Q/K/V biases; the third has attn_qkv.weight plus separate
// attn_q/k/v.bias when the model has biases (else it equals the fused layout).
import {basename} from "node:path";
import {gguf} from "@huggingface/gguf";
import {fail} from "./lib.mjs";

async function tensorNames(path) {
    const r = await gguf(path, {allowLocalFile: true});
    const arch = r.metadata["general.architecture"];
    return {names: new Set(r.tensorInfos.map((t) => t.name)), nLayer: Number(r.metadata[`${arch}.block_count`])};
}

// The attention tensors each layout must have (true) or must not have (false).
function wanted(layout, hasBias) {
    const w = {
        "attn_q.weight": layout === "unfused", "attn_k.weight": layout === "unfused",
        "attn_v.weight": layout === "unfused", "attn_qkv.weight": layout !== "unfused",
        "attn_qkv.bias": hasBias && layout === "fused",
    };
    for (const b of ["attn_q.bias", "attn_k.bias", "attn_v.bias"]) w[b] = hasBias && layout !== "fused";
    return w;
}

function check(path, layout, {names, nLayer}, hasBias) {
    const w = wanted(layout, hasBias);
    for (let bid = 0; bid < nLayer; bid++)
        for (const [suffix, present] of Object.entries(w))
            if (names.has(`blk.${bid}.${suffix}`) !== present)
                return fail(`${basename(path)}: ${layout} layout ${present ? "lacks" : "has"} blk.${bid}.${suffix}`);
    console.log(`${basename(path)}: ${layout} QKV layout (${nLayer} layers${hasBias ? ", with Q/K/V biases" : ""})`);
}

async function main() {
    const files = process.argv.slice(2);
    if (files.length !== 3) throw new Error("usage: layout.mjs UNFUSED FUSED FUSED_SEPARATE_BIAS");
    const views = await Promise.all(files.map(tensorNames));
    const hasBias = views[0].names.has("blk.0.attn_q.bias");
    ["unfused", "fused", "fused-separate-bias"].forEach((layout, i) => check(files[i], layout, views[i], hasBias));
}

main().catch((e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exit(1);
});
