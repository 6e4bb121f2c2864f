"""Every shipped model card is written from its machine-readable card by the one template: the
Markdown a user reads says exactly what `card.json` records, and every card has one outline."""

from __future__ import annotations

import importlib
import json

import pytest

from spinscope.cli.common import declared
from spinscope.ml.heads import MODELS_DIR
from spinscope.train import Trainer
from spinscope.train.common import card_markdown

TRAINERS = sorted(set(declared("trainer").values()))


@pytest.mark.parametrize("module", TRAINERS)
def test_the_shipped_model_card_is_its_card_json_in_the_template(module: str) -> None:
    trainer: Trainer = importlib.import_module(module)
    folder = MODELS_DIR / module.rpartition(".")[2]
    card = json.loads((folder / "card.json").read_text("utf-8"))
    shipped = (folder / "MODEL_CARD.md").read_text("utf-8")
    assert shipped == card_markdown(card, trainer.card_text(card))
    headings = [line for line in shipped.splitlines() if line.startswith("#")]
    assert headings[0].startswith("# Model card: ") and headings[-1] == "## Versions"
    assert f"Written by `spinscope train {module.rpartition('.')[2]} --data" in shipped
    assert f"- **Seed:** {card['seed']}" in shipped
    assert all(f"- {name}: {version}" in shipped for name, version in card["versions"].items())


def test_every_trainer_of_a_layer_ships_a_card() -> None:
    assert len(TRAINERS) == 6  # quotes, checkworthiness, techniques, entities, narratives, frames
