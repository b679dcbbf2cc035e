"""The same sentence-transformers model run through ONNX Runtime, optionally int8.

The model is exported once from the installed PyTorch weights (nothing is downloaded)
into ``$CXLOOP_CACHE`` (default ``~/.cache/cxloop``), then quantized with dynamic,
per-channel int8 weights. Pooling and normalisation are done in numpy on the
transformer's token outputs, exactly as sentence-transformers does. On 2 cores the
int8 model embeds about 1.5x as fast as PyTorch (../shared/PERF-ANCHORS.md: 331 vs
212 sentences/s); ``bench/RESULTS.md`` has its accuracy next to the fp32 model's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .encoder import MAX_TOKENS, Progress, encode_in_batches

CACHE_ENV = "CXLOOP_CACHE"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cxloop").expanduser()


def exported_model(name: str, folder: Path, quantized: bool) -> Path:
    """The ONNX file for the model in ``folder``, exporting it on first use."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    target = cache_dir() / "onnx" / f"{safe}-{'int8' if quantized else 'fp32'}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f"{safe}-fp32.onnx")
    if not fp32.exists():
        _export(folder, fp32)
    if quantized:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = target.with_suffix(".partial")
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        tmp.replace(target)
    return target


def _export(folder: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    sample = tokenizer(["an example sentence", "another one"], padding=True, return_tensors="pt")
    inputs = (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"])
    tmp = target.with_suffix(".partial")

    class Tokens(torch.nn.Module):
        """The transformer's token outputs, with its inputs named."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state  # fmt: skip

    with torch.inference_mode():
        torch.onnx.export(
            Tokens().eval(),
            inputs,
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in
                          ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )  # fmt: skip
    tmp.replace(target)


class OnnxEncoder:
    """Sentence embeddings from an ONNX export of a BERT-style model."""

    def __init__(self, name: str, folder: Path, quantized: bool = True) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = exported_model(name, folder, quantized)
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.name = name
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return encode_in_batches(texts, self.dim, self._batch, progress)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        (hidden,) = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
