// A --vocab-only file must work as llama.cpp's tokenizer for its model: llama.cpp loads it
// (vocabOnly) and must tokenize PROMPT and detokenize the generated tokens exactly as recorded
// from the full f32 file of llama.cpp's own converter.
//
//   node vocab.mjs EXPECTED.json VOCAB_ONLY.gguf
import {readFileSync} from "node:fs";
import {basename} from "node:path";
import {loadLlama, fail, PROMPT} from "./lib.mjs";

async function main() {
    const [expectPath, file] = process.argv.slice(2);
    if (!file) throw new Error("usage: vocab.mjs EXPECTED.json VOCAB_ONLY.gguf");
    const expected = JSON.parse(readFileSync(expectPath, "utf8"));
    const llama = await loadLlama();
    const model = await llama.loadModel({modelPath: file, vocabOnly: true});
    const promptTokens = [model.tokens.bos, ...model.tokenize(PROMPT)];
    const text = model.detokenize(expected.tokens);
    if (JSON.stringify(promptTokens) !== JSON.stringify(expected.promptTokens))
        fail(`${basename(file)}: llama.cpp tokenizes ${JSON.stringify(PROMPT)} as ${promptTokens}, expected ${expected.promptTokens}`);
    else if (text !== expected.text)
        fail(`${basename(file)}: llama.cpp detokenizes the expected tokens as ${JSON.stringify(text)}, ` +
             `expected ${JSON.stringify(expected.text)}`);
    else
        console.log(`${basename(file)}: llama.cpp loads the vocab-only file; prompt -> ${promptTokens}, ` +
                    `${expected.tokens.length} tokens -> the recorded text`);
    await model.dispose();
    await llama.dispose();
}

main().catch((e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exit(1);
});
