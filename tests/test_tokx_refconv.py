#!/usr/bin/python3
"""Regenerates the llama.cpp reference hashes pinned in test_tokx_spm.c / test_tokx_bpe.c.

Developer tool, not run by ctest (the product and its tests need no Python). It runs llama.cpp
v0.5.0's convert_hf_to_gguf.py --vocab-only on small directories built from ../shared/models and
prints the SHA-256 of the tokenizer.* KV records of each output, the value the C tests pin.

usage: /usr/bin/python3 tests/test_tokx_refconv.py LLAMA_CPP_SRC SHARED_DIR
  LLAMA_CPP_SRC: a checkout of the llama.cpp source bundle (docs: reference-tools.md)
Needs Debian's python3-numpy, python3-torch, python3-sentencepiece.

transformers is not installable here. The SentencePiece cases need none; for tokenizer.json
cases a stand-in AutoTokenizer reads tokenizer.json / tokenizer_config.json, and
get_vocab_base_pre returns the name (llama.cpp's hash lookup needs the real tokenizer), so those
hashes pin the converter's own rules and KV order, not transformers' internals.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

STUB = r'''
import json, os
import torch as _torch
for _n in ("float8_e4m3fn", "float8_e5m2"):
    if not hasattr(_torch, _n):
        setattr(_torch, _n, "unsupported-" + _n)

class AutoConfig:
    @staticmethod
    def from_pretrained(*a, **k):
        raise OSError("stand-in: read config.json directly")

class _Added:
    def __init__(self, a):
        self.content, self.special, self.normalized = a["content"], a.get("special", False), a.get("normalized", True)

class _Tok:
    is_fast = True
    def __init__(self, d):
        t = json.load(open(os.path.join(d, "tokenizer.json")))
        c = json.load(open(os.path.join(d, "tokenizer_config.json")))
        self._model = dict(t["model"]["vocab"])
        self._added = {a["content"]: a["id"] for a in t.get("added_tokens", [])}
        self.added_tokens_decoder = {a["id"]: _Added(a) for a in t.get("added_tokens", [])}
        self.vocab_size = len(self._model)
        sp = []
        for k in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]:
            v = c.get(k)
            v = v.get("content") if isinstance(v, dict) else v
            if v:
                sp.append(v)
        sp += [v["content"] if isinstance(v, dict) else v for v in c.get("additional_special_tokens") or []]
        self.all_special_tokens = sp
        self.all_special_ids = [self.get_vocab()[x] for x in sp]
        self.vocab = self.get_vocab()
    def get_vocab(self):
        v = dict(self._model); v.update(self._added); return v
    def get_added_vocab(self):
        return dict(self._added)
    def encode(self, s, add_special_tokens=True):
        return [s]
    def decode(self, ids):
        return ids[0]

class AutoTokenizer:
    @staticmethod
    def from_pretrained(path, *a, **k):
        return _Tok(str(path))
'''

RUNNER = r'''
import os, runpy, sys
sys.path.insert(0, os.environ["LLAMACPP"])
import conversion.base as b
b.TextModel.get_vocab_base_pre = lambda self, tok: os.environ["FAKE_PRE"]
sys.argv = ["convert_hf_to_gguf.py"] + sys.argv[1:]
runpy.run_path(os.path.join(os.environ["LLAMACPP"], "convert_hf_to_gguf.py"), run_name="__main__")
'''


def tokenizer_sha256(path, gguf_py):
    sys.path.insert(0, gguf_py)
    from gguf import GGUFReader
    r = GGUFReader(path)
    raw = open(path, "rb").read()
    h = hashlib.sha256()
    for k, f in r.fields.items():
        if k.startswith("tokenizer."):
            h.update(raw[f.offset:f.offset + sum(p.nbytes for p in f.parts)])
    return h.hexdigest()


def make_dir(root, name, shared, links, config, files):
    d = os.path.join(root, name)
    os.makedirs(d)
    for rel in links:
        os.symlink(os.path.join(shared, "models", rel), os.path.join(d, os.path.basename(rel)))
    os.symlink(os.path.join(shared, "models/stories260K-hf/model.safetensors"), os.path.join(d, "model.safetensors"))
    base = json.load(open(os.path.join(shared, "models/stories260K-hf/config.json")))
    base.update(config)
    json.dump(base, open(os.path.join(d, "config.json"), "w"))
    for fname, text in files.items():
        open(os.path.join(d, fname), "w").write(text)
    return d


CASES = [
    # name, links, config overrides, extra files, pre (None: SentencePiece, no stand-in needed);
    # no links: the shared model directory of that name, as it is
    ("stories260K-hf", [], {}, {}, None),
    ("spm-added-rules", ["llama2-sentencepiece/tokenizer.model"], {"vocab_size": 32010, "unk_token_id": 0},
     {"added_tokens.json": '{"<extra_0>": 32000, "<|tool|>": 32001, "<far>": 40000}',
      "tokenizer_config.json": json.dumps({
          "add_bos_token": False, "add_eos_token": True, "add_prefix_space": False, "bos_token": "<s>",
          "chat_template": "{{x}}", "added_tokens_decoder": {
              "32002": {"content": "\u2581hi\u2581there", "special": False},
              "32003": {"content": "<pad>", "special": False},
              "32004": {"content": "<unused7>", "special": False},
              "32005": {"content": "<\uff5cfim\uff5c>", "special": False},
              "5": {"content": "<bar>", "special": True},
              "32001": {"content": "<|tool|>", "special": False}}})}, None),
    ("llama3", ["hf-tokenizers/llama3/tokenizer.json", "hf-tokenizers/llama3/tokenizer_config.json"],
     {"vocab_size": 128256, "bos_token_id": 128000, "eos_token_id": [128001, 128009]}, {}, "llama-bpe"),
    ("qwen3", ["hf-tokenizers/qwen3/tokenizer.json", "hf-tokenizers/qwen3/tokenizer_config.json"],
     {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645,
      "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3"}, {}, "qwen2"),
    ("mistral", ["hf-tokenizers/mistral-7b-32k/tokenizer.json", "hf-tokenizers/mistral-7b-32k/tokenizer_config.json"],
     {"vocab_size": 32000}, {}, "unused"),
]


def main():
    llamacpp, shared = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    gguf_py = os.path.join(llamacpp, "gguf-py")
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "stub/transformers"))
        open(os.path.join(root, "stub/transformers/__init__.py"), "w").write(STUB)
        open(os.path.join(root, "runner.py"), "w").write(RUNNER)
        env = dict(os.environ, LLAMACPP=llamacpp,
                   PYTHONPATH=os.pathsep.join([os.path.join(root, "stub"), gguf_py, llamacpp]))
        for name, links, config, files, pre in CASES:
            d = make_dir(root, name, shared, links, config, files) if links else os.path.join(shared, "models", name)
            out = os.path.join(root, name + ".gguf")
            env["FAKE_PRE"] = pre or "unused"
            subprocess.run([sys.executable, os.path.join(root, "runner.py"), d, "--vocab-only", "--outfile", out],
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(name, tokenizer_sha256(out, gguf_py))


if __name__ == "__main__":
    main()
