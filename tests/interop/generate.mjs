// Load and generate: llama.cpp loads each GGUF and greedily generates N_GENERATE tokens from PROMPT.
//
//   node generate.mjs [--expect EXPECTED.json | --record OUT.json [--note TEXT]] [--checkpoint DIR] FILE.gguf...
//
// Checks, each a hard failure (exit 1):
//  - every file loads and generates N_GENERATE tokens;
//  - all files give identical tokens and identical top-5 probabilities (bit-exact floats): the files
//    are one model in different layouts (unfused / fused QKV / fused weight + separate biases);
//  - with --expect: the prompt tokens and generated tokens equal those recorded from the f32 file
//    that llama.cpp's own convert_hf_to_gguf.py writes (see record-expected.sh).
// --record writes the first file's result (tokens, top-5) as an expected file, with TEXT saying
// where the file came from. --checkpoint DIR: the sha256 of DIR/model.safetensors is recorded, and
// with --expect must match, so a changed test checkpoint says "re-record" instead of "wrong tokens".
import {createHash} from "node:crypto";
import {readFileSync, writeFileSync} from "node:fs";
import {basename} from "node:path";
import {loadLlama, greedyGenerate, fail, PROMPT, N_GENERATE} from "./lib.mjs";

function parseArgs(argv) {
    const args = {expect: null, record: null, note: null, checkpoint: null, files: []};
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--expect") args.expect = argv[++i];
        else if (argv[i] === "--record") args.record = argv[++i];
        else if (argv[i] === "--note") args.note = argv[++i];
        else if (argv[i] === "--checkpoint") args.checkpoint = argv[++i];
        else args.files.push(argv[i]);
    }
    if (args.files.length === 0) throw new Error("usage: generate.mjs [--expect F] [--record F] FILE.gguf...");
    return args;
}

function firstDifference(a, b) {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
        if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
    return -1;
}

function compareToFirst(results) {
    const [ref, ...rest] = results;
    for (const r of rest) {
        const t = firstDifference(ref.tokens, r.tokens);
        if (t >= 0)
            fail(`${r.name}: token ${t} is ${r.tokens[t]}, ${ref.name} gives ${ref.tokens[t]} (tokens differ between layouts)`);
        const p = firstDifference(ref.top5, r.top5);
        if (p >= 0)
            fail(`${r.name}: top-5 probabilities differ from ${ref.name} at step ${p}: ` +
                 `${JSON.stringify(r.top5[p])} vs ${JSON.stringify(ref.top5[p])}`);
    }
}

function checkpointSha256(dir) {
    return dir ? createHash("sha256").update(readFileSync(`${dir}/model.safetensors`)).digest("hex") : null;
}

function compareToExpected(results, expectPath, checkpointDir) {
    const expected = JSON.parse(readFileSync(expectPath, "utf8"));
    if (expected.prompt !== PROMPT || expected.tokens.length !== N_GENERATE)
        fail(`${expectPath}: recorded for a different prompt or length`);
    const sha = checkpointSha256(checkpointDir);
    if (sha && sha !== expected.checkpointSha256)
        return fail(`${checkpointDir}/model.safetensors (sha256 ${sha}) is not the checkpoint ${expectPath} was ` +
                    `recorded from (${expected.checkpointSha256}): re-run tests/interop/record-expected.sh`);
    for (const r of results) {
        if (JSON.stringify(r.promptTokens) !== JSON.stringify(expected.promptTokens))
            fail(`${r.name}: prompt tokenizes to ${r.promptTokens}, llama.cpp's converter file gives ${expected.promptTokens}`);
        const t = firstDifference(expected.tokens, r.tokens);
        if (t >= 0)
            fail(`${r.name}: token ${t} is ${r.tokens[t]}, the file from llama.cpp's converter gives ` +
                 `${expected.tokens[t]} (${expectPath})`);
    }
}

// One field per line, each array on one line (top5: one line per step): short, diffable files.
function formatRecord(record) {
    const lines = Object.entries(record).map(([k, v]) =>
        k === "top5" ? ` "top5": [\n  ${v.map((step) => JSON.stringify(step)).join(",\n  ")}\n ]`
                     : ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    return `{\n${lines.join(",\n")}\n}\n`;
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const llama = await loadLlama();
    const results = [];
    for (const file of args.files) {
        const r = await greedyGenerate(llama, file);
        results.push({name: basename(file), ...r});
        console.log(`${basename(file)}: ${r.tokens.join(",")}  ${JSON.stringify(r.text)}`);
    }
    compareToFirst(results);
    if (args.expect) compareToExpected(results, args.expect, args.checkpoint);
    if (args.record) {
        const {promptTokens, tokens, top5, text} = results[0];
        writeFileSync(args.record, formatRecord({
            source: args.note, checkpointSha256: checkpointSha256(args.checkpoint),
            prompt: PROMPT, promptTokens, tokens, text, top5,
        }));
    }
    if (!process.exitCode)
        console.log(`ok: ${results.length} file(s) loaded by llama.cpp, ${N_GENERATE} identical greedy tokens and top-5` +
                    (args.expect ? `, equal to ${basename(args.expect)}` : ""));
    await llama.dispose();
}

main().catch((e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exit(1);
});
