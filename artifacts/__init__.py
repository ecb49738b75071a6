"""The shipped default models: ``html/`` and ``text/`` model directories (see MODEL_CARD.md in each)."""
