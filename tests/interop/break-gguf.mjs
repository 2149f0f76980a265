// Writes a deliberately broken copy of a GGUF, to prove the interop checks catch real QKV bugs.
//
//   node break-gguf.mjs MODE IN.gguf OUT.gguf
//
// MODE swap-qk:      in blk.0, swap the first n_kv_rows rows of Q with the K rows (inside
//                    attn_qkv.weight for a fused file, between attn_q.weight and attn_k.weight
//                    otherwise): the mistake of concatenating in the wrong order.
// MODE skip-permute: in every layer, undo llama.cpp's Q/K RoPE row permutation, i.e. write the
//                    rows in Hugging Face's rotate_half order: a converter that forgot to permute.
// MODE swap-qk-bias: in blk.0.attn_qkv.bias, swap the first n_kv_rows Q entries with the K
//                    entries: biases concatenated in the wrong order.
// The header is untouched, so only a reader that runs the model can tell.
import {readFileSync, writeFileSync} from "node:fs";
import {gguf} from "@huggingface/gguf";

// Bytes of one row of ne0 elements, for the types our converter writes (F32, F16, BF16, Q8_0).
const ROW_BYTES = {0: (n) => 4 * n, 1: (n) => 2 * n, 30: (n) => 2 * n, 8: (n) => (n / 32) * 34};

function hparams(meta) {
    const arch = meta["general.architecture"];
    const get = (k) => Number(meta[`${arch}.${k}`]);
    const nHead = get("attention.head_count");
    const nHeadKv = get("attention.head_count_kv");
    const headDim = meta[`${arch}.attention.key_length`] !== undefined
        ? get("attention.key_length") : get("embedding_length") / nHead;
    return {nLayer: get("block_count"), nHead, nHeadKv, headDim};
}

// One weight region of `rows` rows starting `firstRow` rows into a tensor's data.
function rowView(file, info, dataOffset, firstRow, rows) {
    const rowBytes = ROW_BYTES[info.dtype]?.(Number(info.shape[0]));
    if (!rowBytes) throw new Error(`${info.name}: unsupported type ${info.dtype}`);
    const start = Number(dataOffset + info.offset) + firstRow * rowBytes;
    return {rowBytes, bytes: file.subarray(start, start + rows * rowBytes)};
}

// The Q and K parts of blk.0.attn_qkv.bias (F32, one "row" per element).
function qkBiasRegions(file, parsed, hp) {
    const info = parsed.tensorInfos.find((t) => t.name === "blk.0.attn_qkv.bias");
    if (!info || info.dtype !== 0) throw new Error("no F32 blk.0.attn_qkv.bias");
    const qRows = hp.nHead * hp.headDim;
    const start = Number(parsed.tensorDataOffset + info.offset);
    return {
        q: {rowBytes: 4, bytes: file.subarray(start, start + 4 * qRows)},
        k: {rowBytes: 4, bytes: file.subarray(start + 4 * qRows, start + 4 * (qRows + hp.nHeadKv * hp.headDim))},
    };
}

// Locates the Q and K row blocks of layer `bid`, fused or not.
function qkRegions(file, parsed, hp, bid) {
    const byName = new Map(parsed.tensorInfos.map((t) => [t.name, t]));
    const qRows = hp.nHead * hp.headDim;
    const kRows = hp.nHeadKv * hp.headDim;
    const fused = byName.get(`blk.${bid}.attn_qkv.weight`);
    const off = parsed.tensorDataOffset;
    if (fused)
        return {q: rowView(file, fused, off, 0, qRows), k: rowView(file, fused, off, qRows, kRows)};
    const q = byName.get(`blk.${bid}.attn_q.weight`);
    const k = byName.get(`blk.${bid}.attn_k.weight`);
    if (!q || !k) throw new Error(`blk.${bid}: no attn_qkv.weight and no attn_q/attn_k.weight`);
    return {q: rowView(file, q, off, 0, qRows), k: rowView(file, k, off, 0, kRows)};
}

function swapRows(a, b, n, rowBytes) {
    const tmp = Buffer.from(a.subarray(0, n * rowBytes));
    a.set(b.subarray(0, n * rowBytes), 0);
    b.set(tmp, 0);
}

// llama.cpp stores row 2*i+j of a head where Hugging Face stores row j*headDim/2+i.
function unpermute(region, nHeads, headDim) {
    const {rowBytes, bytes} = region;
    const copy = Buffer.from(bytes);
    const half = headDim / 2;
    for (let h = 0; h < nHeads; h++)
        for (let i = 0; i < half; i++)
            for (let j = 0; j < 2; j++) {
                const src = (h * headDim + 2 * i + j) * rowBytes;
                const dst = (h * headDim + j * half + i) * rowBytes;
                bytes.set(copy.subarray(src, src + rowBytes), dst);
            }
}

async function main() {
    const [mode, input, output] = process.argv.slice(2);
    if (!["swap-qk", "skip-permute", "swap-qk-bias"].includes(mode) || !output)
        throw new Error("usage: break-gguf.mjs swap-qk|skip-permute|swap-qk-bias IN.gguf OUT.gguf");
    const parsed = await gguf(input, {allowLocalFile: true});
    const hp = hparams(parsed.metadata);
    const file = readFileSync(input);
    if (mode === "swap-qk" || mode === "swap-qk-bias") {
        const {q, k} = mode === "swap-qk" ? qkRegions(file, parsed, hp, 0) : qkBiasRegions(file, parsed, hp);
        swapRows(q.bytes, k.bytes, hp.nHeadKv * hp.headDim, q.rowBytes);
    } else {
        for (let bid = 0; bid < hp.nLayer; bid++) {
            const {q, k} = qkRegions(file, parsed, hp, bid);
            unpermute(q, hp.nHead, hp.headDim);
            unpermute(k, hp.nHeadKv, hp.headDim);
        }
    }
    writeFileSync(output, file);
    console.log(`${output}: ${mode} applied to ${input}`);
}

main().catch((e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exit(1);
});
