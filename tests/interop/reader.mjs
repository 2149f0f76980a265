// Second reader: @huggingface/gguf (an independent GGUF parser) must see exactly the KV pairs and
// tensor table that `hf2gguf info --json` reports (format: docs/gguf.md).
//
//   node reader.mjs HF2GGUF_BIN FILE.gguf...
//
// Compared, in order: version, data offset, every KV (key, value type, array element type and
// count, value: integers exactly, f32 after rounding both sides to float32, f64 exactly, -0 kept
// apart from 0, strings as decoded UTF-8) and every tensor (name, ggml type id, shape, offset).
// Exit 1 with the first difference per file.
import {spawnSync} from "node:child_process";
import {basename} from "node:path";
import {readWithHfGguf, fail} from "./lib.mjs";

// @huggingface/gguf's GGUFValueType ids -> the type names hf2gguf prints.
const TYPE_NAMES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"];

function hf2ggufInfo(bin, file) {
    const r = spawnSync(bin, ["info", "--json", file], {encoding: "utf8", maxBuffer: 1 << 30});
    if (r.status !== 0)
        throw new Error(`${bin} info --json ${file} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

// One scalar as hf2gguf prints it vs as @huggingface/gguf decodes it.
function sameScalar(type, ours, theirs) {
    // @huggingface/gguf decodes strings with a default TextDecoder, which drops a leading U+FEFF
    // (e.g. the BOM token of Llama 2's vocabulary); hf2gguf keeps the bytes as they are.
    if (type === "string" && typeof ours === "string" && ours.startsWith("\uFEFF")) return ours.slice(1) === theirs;
    if (type === "f32") return Object.is(Math.fround(Number(ours)), Math.fround(theirs));
    if (type === "f64") return Object.is(Number(ours), theirs);
    if (type === "u64" || type === "i64") return String(ours) === String(theirs);
    return Object.is(ours, theirs);
}

function compareKv(ours, theirs) {
    if (ours.key !== theirs.key) return `KV key '${ours.key}' vs '${theirs.key}'`;
    const what = `KV '${ours.key}'`;
    if (ours.type !== TYPE_NAMES[theirs.type]) return `${what}: type ${ours.type} vs ${TYPE_NAMES[theirs.type]}`;
    if (ours.type !== "array") {
        return sameScalar(ours.type, ours.value, theirs.value) ? null
            : `${what}: value ${JSON.stringify(ours.value)} vs ${JSON.stringify(theirs.value)}`;
    }
    if (ours.elem !== TYPE_NAMES[theirs.subType]) return `${what}: element type ${ours.elem} vs ${TYPE_NAMES[theirs.subType]}`;
    if (ours.count !== theirs.value.length || ours.value.length !== ours.count)
        return `${what}: ${ours.count} (${ours.value.length} listed) elements vs ${theirs.value.length}`;
    for (let i = 0; i < ours.count; i++)
        if (!sameScalar(ours.elem, ours.value[i], theirs.value[i]))
            return `${what}[${i}]: ${JSON.stringify(ours.value[i])} vs ${JSON.stringify(theirs.value[i])}`;
    return null;
}

function compareTensor(ours, theirs, i) {
    const what = `tensor #${i} '${ours.name}'`;
    if (ours.name !== theirs.name) return `tensor #${i}: name '${ours.name}' vs '${theirs.name}'`;
    if (ours.type_id !== theirs.type) return `${what}: type ${ours.type_id} vs ${theirs.type}`;
    if (ours.ne.map(String).join(",") !== theirs.shape.join(","))
        return `${what}: shape [${ours.ne}] vs [${theirs.shape}]`;
    if (String(ours.offset) !== theirs.offset) return `${what}: offset ${ours.offset} vs ${theirs.offset}`;
    return null;
}

// First difference between the two views, or null.
function firstDifference(ours, theirs) {
    if (ours.version !== theirs.version) return `version ${ours.version} vs ${theirs.version}`;
    if (String(ours.data_offset) !== theirs.dataOffset) return `data offset ${ours.data_offset} vs ${theirs.dataOffset}`;
    if (String(ours.kv.length) !== theirs.kvCount || ours.kv.length !== theirs.kv.length)
        return `${ours.kv.length} KV pairs vs ${theirs.kvCount} (header), ${theirs.kv.length} (distinct keys)`;
    for (let i = 0; i < ours.kv.length; i++) {
        const d = compareKv(ours.kv[i], theirs.kv[i]);
        if (d) return d;
    }
    if (String(ours.tensors.length) !== theirs.tensorCount || ours.tensors.length !== theirs.tensors.length)
        return `${ours.tensors.length} tensors vs ${theirs.tensorCount}`;
    for (let i = 0; i < ours.tensors.length; i++) {
        const d = compareTensor(ours.tensors[i], theirs.tensors[i], i);
        if (d) return d;
    }
    return null;
}

async function main() {
    const [bin, ...files] = process.argv.slice(2);
    if (!bin || files.length === 0) throw new Error("usage: reader.mjs HF2GGUF_BIN FILE.gguf...");
    for (const file of files) {
        const ours = hf2ggufInfo(bin, file);
        const theirs = await readWithHfGguf(file);
        const d = firstDifference(ours, theirs);
        if (d) fail(`${basename(file)}: hf2gguf info vs @huggingface/gguf: ${d}`);
        else console.log(`${basename(file)}: @huggingface/gguf agrees with hf2gguf info ` +
                         `(${ours.kv.length} KV pairs, ${ours.tensors.length} tensors)`);
    }
}

main().catch((e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exit(1);
});
