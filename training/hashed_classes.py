"""Pages whose class and id names say nothing, as CSS-in-JS sites write them (``css-1q9x7b``).

Many sites build their markup with styled components or other CSS-in-JS tools: every
class is a hash, so the class words the model reads (``related``, ``story-body``, ``comments``)
are not there and only the text, the tags and the layout tell story from clutter.
An augmented training copy can be given such names (``storyfilter train --augment
SHARE --augment-hashed-classes SHARE``): every class and id token of the page is
replaced by a hashed name, the same token by the same name across the page, so
repeated items still share their names (templates stay templates) and nothing
else in the page changes. A model that sees some of its pages this way cannot lean
on class words alone.
"""
from __future__ import annotations

import random
import string

from selectolax.lexbor import LexborHTMLParser

_ALPHABET = string.ascii_lowercase + string.digits
_HASH_CHARS = 7
_ATTRIBUTES = ("class", "id")


def hashed_name(rng: random.Random) -> str:
    """A name as CSS-in-JS tools print them: ``css-`` and seven letters or digits."""
    return "css-" + "".join(rng.choice(_ALPHABET) for _ in range(_HASH_CHARS))


def hash_class_names(markup: str, rng: random.Random) -> str:
    """``markup`` with every class and id token replaced, consistently within the page, by a hashed name."""
    tree = LexborHTMLParser(markup)
    names: dict[str, str] = {}
    for node in tree.root.traverse() if tree.root is not None else ():
        attributes = node.attributes
        for attribute in _ATTRIBUTES:
            value = attributes.get(attribute)
            if not value:
                continue
            tokens = value.split()
            for token in tokens:
                if token not in names:
                    names[token] = hashed_name(rng)
            node.attrs[attribute] = " ".join(names[token] for token in tokens)
    return tree.html or markup
