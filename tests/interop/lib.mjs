// Shared helpers for the interop checks: the real llama.cpp (through node-llama-cpp's prebuilt
// CPU binaries) and @huggingface/gguf as an independent GGUF reader.
//
// Everything here fails loudly: a peer that cannot be imported or loaded throws, and the calling
// script exits non-zero. Nothing is ever skipped.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {gguf} from "@huggingface/gguf";

export const PROMPT = "Once upon a time";
export const N_GENERATE = 32;
export const TOP_K_REPORTED = 5;

// Exactly the prebuilt CPU library of llama.cpp v0.5.0 from the npm package: no GPU probing,
// no download, no source build (any of those would mean we are not testing what we pinned).
export async function loadLlama() {
    return getLlama({
        gpu: false,
        build: "never",
        skipDownload: true,
        usePrebuiltBinaries: true,
        progressLogs: false,
        logLevel: LlamaLogLevel.warn,
    });
}

// Greedy generation from PROMPT (BOS + tokenized text), one thread, F32 KV cache, no flash
// attention, so results depend only on the file's weights. Returns the prompt tokens, the
// generated tokens and, per step, the top-5 [token, probability] pairs llama.cpp reports.
export async function greedyGenerate(llama, modelPath, {prompt = PROMPT, n = N_GENERATE} = {}) {
    const model = await llama.loadModel({modelPath});
    try {
        const context = await model.createContext({
            contextSize: 256,
            sequences: 1,
            threads: 1,
            flashAttention: false,
            experimentalKvCacheKeyType: "F32",
            experimentalKvCacheValueType: "F32",
        });
        try {
            return await generateInContext(modelPath, model, context, prompt, n);
        } finally {
            await context.dispose();
        }
    } finally {
        await model.dispose();
    }
}

async function generateInContext(modelPath, model, context, prompt, n) {
    const sequence = context.getSequence();
    const promptTokens = [model.tokens.bos, ...model.tokenize(prompt)];
    const tokens = [];
    const top5 = [];
    const steps = sequence.evaluateWithMetadata(promptTokens, {probabilities: true}, {
        temperature: 0,
        yieldEogToken: true, // an EOS is a token like any other here: always compare n tokens
    });
    for await (const step of steps) {
        tokens.push(step.token);
        top5.push([...step.probabilities.entries()].slice(0, TOP_K_REPORTED));
        if (tokens.length >= n) break;
    }
    if (tokens.length !== n)
        throw new Error(`${modelPath}: llama.cpp stopped after ${tokens.length} of ${n} tokens`);
    return {promptTokens, tokens, top5, text: model.detokenize(tokens)};
}

// The GGUF as @huggingface/gguf sees it, normalised to plain JSON-able values:
// {version, kv: [{key, type, subType?, value}], tensors: [{name, type, shape, offset}], dataOffset}.
// BigInts become decimal strings so comparisons are exact.
export async function readWithHfGguf(path) {
    const r = await gguf(path, {allowLocalFile: true, typedMetadata: true});
    const kv = [];
    let version = null;
    for (const [key, entry] of Object.entries(r.typedMetadata)) {
        if (key === "version") {
            version = Number(entry.value);
            continue;
        }
        if (key === "tensor_count" || key === "kv_count") continue;
        kv.push({key, type: entry.type, subType: entry.subType, value: plain(entry.value)});
    }
    const tensors = r.tensorInfos.map((t) => ({
        name: t.name,
        type: t.dtype,
        shape: t.shape.map((d) => d.toString()),
        offset: t.offset.toString(),
    }));
    return {
        version,
        tensorCount: r.typedMetadata.tensor_count.value.toString(),
        kvCount: r.typedMetadata.kv_count.value.toString(),
        kv,
        tensors,
        dataOffset: r.tensorDataOffset.toString(),
    };
}

function plain(v) {
    if (typeof v === "bigint") return v.toString();
    if (Array.isArray(v)) return v.map(plain);
    return v;
}

export function fail(message) {
    console.error(`FAIL: ${message}`);
    process.exitCode = 1;
}
