// Load and generate: llama.cpp loads each GGUF and greedily generates N_GENERATE tokens from PROMPT.
//
//   node generate.mjs [--expect EXPECTED.json] [--record OUT.json [--note TEXT]] FILE.gguf...
//
// Checks, each a hard failure (exit 1):
//  - every file loads and generates N_GENERATE tokens;
//  - all files give identical tokens and identical top-5 probabilities (bit-exact floats): the files
//    are one model in different layouts (unfused / fused QKV / fused weight + separate biases);
//  - with --expect: the prompt tokens and generated tokens equal those recorded from the f32 file
//    that llama.cpp's own convert_hf_to_gguf.py writes (see record-expected.sh).
// --record writes the first file's result (tokens, top-5) as an expected file, with TEXT saying
// where the file came from.
import {readFileSync, writeFileSync} from "node:fs";
import {basename} from "node:path";
import {loadLlama, greedyGenerate, fail, PROMPT, N_GENERATE} from "./lib.mjs";

function parseArgs(argv) {
    const args = {expect: null, record: null, note: null, files: []};
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--expect") args.expect = argv[++i];
        else if (argv[i] === "--record") args.record = argv[++i];
        else if (argv[i] === "--note") args.note = argv[++i];
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

function compareToExpected(results, expectPath) {
    const expected = JSON.parse(readFileSync(expectPath, "utf8"));
    if (expected.prompt !== PROMPT || expected.tokens.length !== N_GENERATE)
        fail(`${expectPath}: recorded for a different prompt or length`);
    for (const r of results) {
        if (JSON.stringify(r.promptTokens) !== JSON.stringify(expected.promptTokens))
            fail(`${r.name}: prompt tokenizes to ${r.promptTokens}, llama.cpp's converter file gives ${expected.promptTokens}`);
        const t = firstDifference(expected.tokens, r.tokens);
        if (t >= 0)
            fail(`${r.name}: token ${t} is ${r.tokens[t]}, the file from llama.cpp's converter gives ` +
                 `${expected.tokens[t]} (${expectPath})`);
    }
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
    if (args.expect) compareToExpected(results, args.expect);
    if (args.record) {
        const {promptTokens, tokens, top5, text} = results[0];
        const recorded = {source: args.note, prompt: PROMPT, promptTokens, tokens, text, top5};
        writeFileSync(args.record, JSON.stringify(recorded, null, 1) + "\n");
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
