// Fails (exit 1) unless both peers import and the pinned prebuilt CPU llama.cpp v0.5.0 loads.
import {gguf} from "@huggingface/gguf";
import {loadLlama} from "./lib.mjs";

const llama = await loadLlama().catch((e) => {
    console.error(`FAIL: node-llama-cpp cannot load its prebuilt llama.cpp: ${e.stack ?? e}`);
    process.exit(1);
});
const release = llama.llamaCppRelease.release;
console.log(`interop: llama.cpp ${release} loaded (buildType=${llama.buildType}, gpu=${llama.gpu}); ` +
            `@huggingface/gguf ${typeof gguf === "function" ? "loaded" : "MISSING gguf()"}`);
if (typeof gguf !== "function" || llama.gpu !== false || llama.buildType !== "prebuilt" || release !== "v0.5.0") {
    console.error("FAIL: not the pinned peers (prebuilt CPU llama.cpp v0.5.0 and @huggingface/gguf)");
    process.exit(1);
}
await llama.dispose();
