"""Plausible, varied text for the mock model, and the one tokenizer every count uses.

Tests that only ever see ``"string"`` (what schema-driven mocks return) miss
bugs that real text exposes: a UI that breaks on long paragraphs, a parser that
trips on punctuation, a stop sequence that never fires. So the mock writes
English built from a small vocabulary and sentence templates, seeded by the
engine's RNG so the same request gives the same words.

Tokens are counted with a deliberately simple rule: every run of word
characters is one token and every other non-space character is one token.
It is not the model's tokenizer (nothing offline can be), but it is
deterministic, cheap, and consistent everywhere the kit needs a count:
``max_tokens`` truncation, usage, stream splitting.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from functools import cache
from string import Formatter

_TOKEN = re.compile(r"\w+|[^\w\s]")

ADJECTIVES = (
    "practical",
    "careful",
    "subtle",
    "useful",
    "broad",
    "concrete",
    "gradual",
    "reliable",
    "surprising",
    "balanced",
    "narrow",
    "honest",
    "complex",
    "simple",
    "common",
    "rare",
)
NOUNS = (
    "context",
    "evidence",
    "trade-off",
    "pattern",
    "detail",
    "perspective",
    "constraint",
    "goal",
    "history",
    "structure",
    "approach",
    "question",
    "example",
    "risk",
    "benefit",
    "outcome",
)
VERBS = ("examine", "compare", "weigh", "revisit", "clarify", "test", "measure", "describe", "question")
ADVERBS = ("carefully", "usually", "often", "rarely", "quickly", "gradually", "clearly", "honestly")
_STOPWORD_TEXT = (
    "about after again also because been before being between could does doing from have having here "
    "into just like more most much need only other over please same should some such than that their "
    "them then there these they this those through very what when where which while with would your "
    "tell explain think describe show give"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split(" "))

CONTENT_TEMPLATES = (
    "{Topic} is best understood as a balance between {noun} and {noun2}.",
    "One useful way to think about {topic} is through its {adj} {noun}.",
    "In practice, the {noun} tends to shape the {noun2} more than people expect.",
    "It helps to {verb} the {noun} before drawing any firm conclusion.",
    "Most {adj} approaches {verb} the {noun} {adv}, and that matters here.",
    "The short answer: {topic} depends on {noun}, {noun2}, and a bit of luck.",
    "A {adj} example makes this clearer than any definition.",
    "If you {verb} the {noun} {adv}, the {noun2} becomes easier to see.",
    "That said, the {noun} is rarely the whole story.",
    "Here is the key point: {topic} rewards a {adj} {noun}.",
)
BULLET_TEMPLATES = (
    "- **{Noun}**: {verb} it {adv}.",
    "- **{Noun}**: the {adj} {noun2} matters.",
    "- **{Noun}**: keep the {noun2} in view.",
)
REASONING_TEMPLATES = (
    "Okay, the user is asking about {topic}.",
    "Let me think about what they really need here.",
    "I should consider the {adj} {noun} first.",
    "Hmm, maybe the {noun} matters more than it seems.",
    "Wait, I need to check whether the {noun} affects the {noun2}.",
    "So the answer should cover the {noun} and the {noun2}.",
    "I'll keep the tone {adj} and structure it clearly.",
    "Let me {verb} that assumption before I answer.",
)
IMAGE_OPENERS = (
    "Looking at the image, the {adj} {noun} stands out first.",
    "The image shows a clear {noun}, with a {adj} {noun2} in the background.",
)


# --- tokens -----------------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Split text into the kit's tokens: word runs and single punctuation marks."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens ``text`` costs; ``max_tokens`` and usage are measured with this."""
    return len(_TOKEN.findall(text))


def truncate_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` holding at most ``limit`` tokens, cut at a token end.

    Cutting right after a token keeps the count exact: the prefix tokenizes to
    the same first ``limit`` tokens (a word run cannot grow past its end).
    """
    if limit <= 0:
        return ""
    if count_tokens(text) <= limit:
        return text
    for index, match in enumerate(_TOKEN.finditer(text), start=1):
        if index == limit:
            return text[: match.end()]
    return text


def split_on_tokens(text: str, rng: random.Random, *, most: int = 4) -> list[str]:
    """Cut ``text`` into pieces of 1..``most`` tokens, as a model streams it.

    Whitespace stays attached to the token after it, so ``"".join`` gives
    back ``text`` exactly.
    """
    ends = [match.end() for match in _TOKEN.finditer(text)]
    pieces: list[str] = []
    start, index = 0, 0
    while index < len(ends):
        index = min(len(ends), index + rng.randint(1, most))
        stop = ends[index - 1] if index < len(ends) else len(text)
        pieces.append(text[start:stop])
        start = stop
    if start < len(text):
        pieces.append(text[start:])
    return [piece for piece in pieces if piece]


# --- stop sequences ---------------------------------------------------------------------------


def cut_at_stop(text: str, stops: Iterable[str]) -> tuple[str, bool]:
    """Cut ``text`` before the first occurrence of any stop string.

    Returns the kept prefix and whether a stop string was found. The prefix
    never contains a stop string: it ends before the earliest occurrence of
    any of them. Empty stop strings are ignored (they would match everywhere).
    """
    first = min((pos for stop in stops if stop and (pos := text.find(stop)) >= 0), default=-1)
    if first < 0:
        return text, False
    return text[:first], True


# --- prose ------------------------------------------------------------------------------------


def pick_topic(text: str, rng: random.Random) -> str:
    """A keyword from the user's last message, so replies read as answers to it."""
    words: list[str] = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text) if w.lower() not in STOPWORDS]
    if not words:
        return "this question"
    longest = sorted(set(words), key=lambda w: (-len(w), w))[:3]
    return rng.choice(longest).lower()


@cache
def _fields(template: str) -> frozenset[str]:
    """The placeholders a template uses, parsed once: only those draw from the RNG."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def _fill(template: str, topic: str, rng: random.Random) -> str:
    fields = _fields(template)
    values: dict[str, str] = {}
    if "topic" in fields or "Topic" in fields:
        values["topic"] = topic
        values["Topic"] = topic[:1].upper() + topic[1:]
    if fields & _NOUN_FIELDS:
        noun, noun2 = rng.sample(NOUNS, 2)
        values.update(noun=noun, noun2=noun2, Noun=noun.capitalize())
    if "adj" in fields:
        values["adj"] = rng.choice(ADJECTIVES)
    if "verb" in fields:
        values["verb"] = rng.choice(VERBS)
    if "adv" in fields:
        values["adv"] = rng.choice(ADVERBS)
    return template.format_map(values)


_NOUN_FIELDS = frozenset({"noun", "noun2", "Noun"})


class _Deck:
    """Templates dealt without replacement, reshuffled when spent, so sentences rarely repeat."""

    def __init__(self, templates: Sequence[str], rng: random.Random) -> None:
        self._templates = list(templates)
        self._rng = rng
        self._left: list[str] = []

    def deal(self) -> str:
        if not self._left:
            self._left = self._templates[:]
            self._rng.shuffle(self._left)
        return self._left.pop()


def write_prose(rng: random.Random, topic: str, tokens: int, *, about_image: bool = False) -> str:
    """An answer of about ``tokens`` tokens (at least that many, before truncation).

    Paragraphs of two to four sentences, sometimes a short bulleted list, so
    the text has the line breaks and markdown a real answer has.
    """
    sentences, bullets = _Deck(CONTENT_TEMPLATES, rng), _Deck(BULLET_TEMPLATES, rng)
    parts: list[str] = []
    counted = 0  # parts meet at whitespace, so their token counts add up
    if about_image:
        parts.append(_fill(rng.choice(IMAGE_OPENERS), topic, rng) + " ")
        counted += count_tokens(parts[-1])
    while counted < tokens:
        if parts and rng.random() < 0.2:
            items = [_fill(bullets.deal(), topic, rng) for _ in range(rng.randint(2, 3))]
            parts.append("\n\n" + "\n".join(items) + "\n\n")
        else:
            paragraph = [_fill(sentences.deal(), topic, rng) for _ in range(rng.randint(2, 4))]
            joiner = "" if not parts or parts[-1].endswith("\n") else "\n\n"
            parts.append(joiner + " ".join(paragraph))
        counted += count_tokens(parts[-1])
    return "".join(parts).strip()


def write_reasoning(rng: random.Random, topic: str, tokens: int) -> str:
    """A chain of thought of about ``tokens`` tokens, in the vendor example's voice."""
    deck = _Deck(REASONING_TEMPLATES[1:], rng)
    sentences = [_fill(REASONING_TEMPLATES[0], topic, rng)]
    counted = count_tokens(sentences[0])  # sentences meet at a space, so counts add up
    while counted < tokens:
        sentences.append(_fill(deck.deal(), topic, rng))
        counted += count_tokens(sentences[-1])
    return " ".join(sentences) + "\n"


def words(rng: random.Random, count: int) -> str:
    """A few vocabulary words, for string values inside generated JSON."""
    pool: Sequence[str] = NOUNS + ADJECTIVES
    return " ".join(rng.choice(pool) for _ in range(count))
