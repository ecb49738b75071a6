"""Readers' comment threads as HTML, for training copies of article pages (:mod:`training.augment`).

wcxb-dev has comment threads on 76 of its 792 article pages, nearly all in
English and in a handful of blog and CMS dialects; a thread in another language
or markup (German cards under a ``section.sec-4``) was kept whole as story. An
augmented copy of a page may get a thread after its story: a heading ("12
Comments", "Kommentare (9)"...) or none, then posts of a user name, a date, one
to three sentences and an action line ("Reply", "Antworten · 41 Empfehlungen ·
Melden"), in one of several markups, under class names that are half telling and
half generated nonsense. The sentences come from OTHER sites' gold text, so a
post is prose, as comments are, but never a line of the page's own story.

Training data generation only; the words here are not read by the classifier.
"""
from __future__ import annotations

import html
import random
from collections.abc import Callable, Sequence

from .widgets import container_class, generated_class

#: Thread headings by language; ``{n}`` is the number of comments.
THREAD_HEADINGS: dict[str, tuple[str, ...]] = {
    "en": ("Comments ({n})", "{n} Comments", "{n} Responses", "Reader comments", "Join the discussion",
           "{n} thoughts on this", "Discussion", "Comments"),
    "de": ("Kommentare ({n})", "Leserkommentare", "{n} Kommentare", "Diskussion", "Kommentare"),
    "fr": ("Commentaires ({n})", "{n} commentaires", "Réactions", "Vos commentaires"),
    "es": ("Comentarios ({n})", "{n} comentarios", "Opiniones de los lectores"),
    "it": ("Commenti ({n})", "{n} commenti"),
    "pt": ("Comentários ({n})", "{n} comentários"),
    "nl": ("Reacties ({n})", "{n} reacties"),
    "sv": ("Kommentarer ({n})",),
    "da": ("Kommentarer ({n})",),
    "pl": ("Komentarze ({n})",),
    "tr": ("Yorumlar ({n})",),
}
#: A post's action line by language; ``{k}`` is a count of likes.
ACTIONS: dict[str, tuple[str, ...]] = {
    "en": ("Reply", "Reply · Report", "Like ({k}) · Reply", "{k} likes · Reply · Share", "Reply ↓"),
    "de": ("Antworten", "Antworten · {k} Empfehlungen · Melden", "Antworten · Melden"),
    "fr": ("Répondre", "Répondre · Signaler", "{k} J'aime · Répondre"),
    "es": ("Responder", "Responder · Denunciar", "Me gusta ({k}) · Responder"),
    "it": ("Rispondi", "Rispondi · Segnala"),
    "pt": ("Responder", "Responder · Denunciar"),
    "nl": ("Reageer", "Beantwoorden"),
    "sv": ("Svara",),
    "da": ("Svar",),
    "pl": ("Odpowiedz",),
    "tr": ("Yanıtla",),
}
#: "<user> says:" lines by language (some blogs print one above the post).
SAYS: dict[str, str] = {"en": "{user} says:", "de": "{user} schrieb:", "fr": "{user} a dit :",
                        "es": "{user} dijo:", "it": "{user} ha scritto:", "pt": "{user} disse:"}
#: Class names that say what the container is (many CMS and plugin dialects).
TELLING_CLASSES = ("comments", "commentlist", "comments-area", "comment-section",
                   "kommentare", "commentaires", "comentarios", "user-comments", "discussion", "replies",
                   "reader-comments", "comments-thread")
TELLING_ITEMS = ("comment", "commentbody", "reply", "kommentar", "commentaire", "comment-reply")
SHAPES = ("wordpress", "cards", "definition-list", "nested")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_SYLLABLES = ("ka", "lo", "mi", "ter", "son", "ber", "an", "ri", "vel", "do", "sa", "fen", "ul", "mar", "to",
              "gra", "hei", "win", "ny", "os")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def user_name(rng: random.Random) -> str:
    """A made-up handle (``Kalomi_72``, ``terson``) or a first name and an initial (``Ana R.``)."""
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    kind = rng.randrange(4)
    if kind == 0:
        return f"{word.capitalize()}_{rng.randint(1, 99)}"
    if kind == 1:
        return word
    if kind == 2:
        return f"{word.capitalize()} {rng.choice('ABCDEFGHKLMNPRSTW')}."
    return f"{word}{rng.randint(1960, 2009)}"


def post_date(rng: random.Random, language: str) -> str:
    y, m, d = rng.randint(2016, 2025), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    if language == "en":
        return rng.choice((f"{_MONTHS[m - 1]} {d}, {y} at {(hh % 12) or 12}:{mm:02d} {'am' if hh < 12 else 'pm'}",
                           f"{rng.randint(2, 23)} hours ago", f"{d}/{m}/{y} {hh:02d}:{mm:02d}"))
    if language == "de":
        return rng.choice((f"{d:02d}.{m:02d}.{y}, {hh:02d}:{mm:02d} Uhr", f"vor {rng.randint(2, 50)} Minuten"))
    return rng.choice((f"{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}", f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}"))


def _post(rng: random.Random, shape: str, user: str, date: str, paragraphs: Sequence[str], action: str,
          says: str | None, item_class: str) -> str:
    body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    who = f'<span class="{_e(generated_class(rng))}">{_e(user)}</span>'
    when = f'<time datetime="2020-01-01">{_e(date)}</time>' if rng.random() < 0.5 else f"<span>{_e(date)}</span>"
    head = f"<div>{_e(says)}</div>" if says else f"<div>{who} {when}</div>"
    act = f'<div class="{_e(generated_class(rng))}"><a href="#reply">{_e(action)}</a></div>' if action else ""
    if shape == "wordpress":
        return f'<li class="{_e(item_class)}">{head}{body}{act}</li>'
    if shape == "definition-list":
        return f"<dt>{_e(user)} · {_e(date)}</dt><dd>{body}{act}</dd>"
    return f'<div class="{_e(item_class)}">{head}<div>{body}</div>{act}</div>'


def render_thread(rng: random.Random, posts: Sequence[Sequence[str]], language: str) -> str:
    """A comment thread of ``posts`` (each one to three sentences) in ``language`` (English if unknown)."""
    lang = language if language in THREAD_HEADINGS else "en"
    shape = rng.choice(SHAPES)
    heading = ""
    if rng.random() < 0.8:
        text = rng.choice(THREAD_HEADINGS[lang]).format(n=len(posts) + rng.randint(0, 40))
        tag = rng.choice(("h2", "h3", "h3", "h4", "div"))
        heading = f"<{tag}>{_e(text)}</{tag}>"
    item_class = container_class(rng, names=TELLING_ITEMS)
    users = [user_name(rng) for _ in range(max(2, len(posts) // 2 + 1))]
    items = []
    for k, paragraphs in enumerate(posts):
        user = rng.choice(users)
        action = rng.choice(ACTIONS[lang]).format(k=rng.randint(0, 80)) if rng.random() < 0.8 else ""
        says = SAYS[lang].format(user=user) if lang in SAYS and rng.random() < 0.15 else None
        text = list(paragraphs)
        if k and rng.random() < 0.2:  # a reply names whom it answers
            text[0] = f"@{rng.choice(users)} {text[0]}"
        items.append(_post(rng, shape, user, post_date(rng, lang), text, action, says, item_class))
    inner: Callable[[list[str]], str] = {
        "wordpress": lambda xs: f"<ol>{''.join(xs)}</ol>",
        "definition-list": lambda xs: f"<dl>{''.join(xs)}</dl>",
        "cards": lambda xs: "".join(xs),
        "nested": lambda xs: "".join(x if i % 3 != 2 else f'<div class="{_e(generated_class(rng))}">{x}</div>'
                                     for i, x in enumerate(xs)),
    }[shape]
    tag = rng.choice(("section", "div", "div", "aside"))
    ident = f' id="{_e(container_class(rng, names=TELLING_CLASSES))}"' if rng.random() < 0.3 else ""
    return f'<{tag} class="{_e(container_class(rng, names=TELLING_CLASSES))}"{ident}>{heading}{inner(items)}</{tag}>'
