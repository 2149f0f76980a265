// Compares two raw float32 logit dumps (one row of n_vocab per evaluated position, prompt
// positions first): hf2gguf's `run --dump-logits` against llama.cpp's (llama_logits.c).
//
//   node compare-logits.mjs OURS.bin LLAMA.bin N_VOCAB ROWS TOLERANCE|none
//
// Fails unless both dumps hold exactly ROWS rows (same prompt tokenization, same number of
// evaluated positions), every row has the same argmax
// (the greedy token; lowest id on ties) and, unless TOLERANCE is "none", every element
// differs by at most TOLERANCE (absolute). Prints the largest difference and where.
import {readFileSync} from "node:fs";
import {basename} from "node:path";

function rows(path, nVocab) {
    const buf = readFileSync(path);
    const rowBytes = 4 * nVocab;
    if (buf.length % rowBytes !== 0)
        throw new Error(`${path}: ${buf.length} bytes is not a whole number of ${nVocab}-float rows`);
    return {f: new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4), n: buf.length / rowBytes};
}

function argmax(f, row, nVocab) {
    let best = 0;
    for (let j = 1; j < nVocab; j++) if (f[row * nVocab + j] > f[row * nVocab + best]) best = j;
    return best;
}

function main() {
    const [oursPath, llamaPath, nVocabArg, rowsArg, tolArg] = process.argv.slice(2);
    const nVocab = Number(nVocabArg), wantRows = Number(rowsArg);
    const tol = tolArg === "none" ? Infinity : Number(tolArg);
    if (!(nVocab > 0 && wantRows > 0 && tol >= 0))
        throw new Error("usage: compare-logits.mjs OURS.bin LLAMA.bin N_VOCAB ROWS TOLERANCE|none");
    const ours = rows(oursPath, nVocab), llama = rows(llamaPath, nVocab);
    if (ours.n !== wantRows || llama.n !== wantRows)
        throw new Error(`${basename(oursPath)} has ${ours.n} rows, llama.cpp's ${llama.n}; expected ${wantRows}`);
    const n = wantRows;
    for (let r = 0; r < n; r++) {
        const a = argmax(ours.f, r, nVocab), b = argmax(llama.f, r, nVocab);
        if (a !== b) {
            console.error(`FAIL: ${basename(oursPath)} vs llama.cpp: row ${r} argmax ${a} vs ${b}`);
            process.exit(1);
        }
    }
    let worst = {d: -1, row: 0, col: 0};
    for (let i = 0; i < n * nVocab; i++) {
        const d = Math.abs(ours.f[i] - llama.f[i]);
        if (!(d <= worst.d)) worst = {d: Number.isNaN(d) ? Infinity : d, row: Math.floor(i / nVocab), col: i % nVocab};
    }
    const where = `row ${worst.row} token ${worst.col}: ${ours.f[worst.row * nVocab + worst.col]} vs ` +
                  `${llama.f[worst.row * nVocab + worst.col]}`;
    if (worst.d > tol) {
        console.error(`FAIL: ${basename(oursPath)} vs llama.cpp: max |diff| ${worst.d} > ${tol} at ${where}`);
        process.exit(1);
    }
    console.log(`ok: ${basename(oursPath)} vs llama.cpp: ${n} rows x ${nVocab}, same argmax in every row, ` +
                `max |diff| ${worst.d} <= ${tolArg} (${where})`);
}

try {
    main();
} catch (e) {
    console.error(`FAIL: ${e.message}`);
    process.exit(1);
}
