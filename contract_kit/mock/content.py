"""Plausible, varied text for the mock model, and the one tokenizer every count uses.

Tests that only ever see ``"string"`` (what schema-driven mocks return) miss
bugs that real text exposes: a UI that breaks on long paragraphs, a parser that
trips on punctuation, a stop sequence that never fires. So the mock writes
English built from a small vocabulary and sentence templates, seeded by the
engine's RNG so the same request gives the same words. Sentences are dealt
from precomputed decks (each template filled with vocabulary once per process,
from a fixed seed), so a sentence costs two draws, and its token count is known
when it is dealt: the writers count as they write instead of re-tokenizing.

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
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import islice
from string import Formatter

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SPACED_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])")

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


def count_prompt_tokens(text: str) -> int:
    """:func:`count_tokens`, cached for short texts: a test sends the same messages again and again."""
    return _cached_count(text) if len(text) <= _CACHED_TEXT else count_tokens(text)


@lru_cache(maxsize=1024)
def _cached_count(text: str) -> int:
    return count_tokens(text)


def truncate_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` holding at most ``limit`` tokens, cut at a token end.

    Cutting right after a token keeps the count exact: the prefix tokenizes to
    the same first ``limit`` tokens (a word run cannot grow past its end).
    """
    if limit <= 0:
        return ""
    last = next(islice(_TOKEN.finditer(text), limit - 1, None), None)
    return text if last is None else text[: last.end()]


def split_on_tokens(text: str, rng: random.Random, *, most: int = 4) -> list[str]:
    """Cut ``text`` into pieces of 1..``most`` tokens, as a model streams it.

    Whitespace stays attached to the token after it, so ``"".join`` gives
    back ``text`` exactly.
    """
    tokens = _SPACED_TOKEN.findall(text)  # each token with the whitespace before it
    if not tokens:
        return [text] if text else []
    pieces: list[str] = []
    index, count = 0, len(tokens)
    while index < count:
        step = 1 + int(rng.random() * most)
        pieces.append("".join(tokens[index : index + step]))
        index += step
    tail = len(text) - sum(map(len, pieces))
    if tail:
        pieces[-1] += text[-tail:]  # trailing whitespace rides with the last piece
    return pieces


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
    longest = _topic_words(text) if len(text) <= _CACHED_TEXT else _longest_words(text)
    if not longest:
        return "this question"
    return longest[int(rng.random() * len(longest))].lower()


_CACHED_TEXT = 4096
"""Texts up to this long have their topic words cached: tests and clients repeat their prompts."""


@lru_cache(maxsize=512)
def _topic_words(text: str) -> tuple[str, ...]:
    return _longest_words(text)


def _longest_words(text: str) -> tuple[str, ...]:
    words = {w for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text) if w.lower() not in STOPWORDS}
    return tuple(sorted(words, key=lambda w: (-len(w), w))[:3])


@cache
def _fields(template: str) -> frozenset[str]:
    """The placeholders a template uses, parsed once: only those draw from the RNG."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def _fill(template: str, rng: random.Random) -> str:
    """The template with vocabulary drawn from ``rng``; its topic slots become markers (:class:`_Topic`)."""
    fields = _fields(template)
    values: dict[str, str] = {"topic": _TOPIC, "Topic": _TITLE}
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
_TOPIC, _TITLE = "\x00", "\x01"
"""Where a dealt sentence takes the topic (as is, capitalised): filled per request, never in a deck."""
VARIANTS = 48
"""Fillings kept per template: enough that sentences rarely repeat, few enough to build in a millisecond."""
ORDERS = 16
"""Shuffled orders kept per deck: a deck is dealt in one of them, chosen by the request's RNG."""


@dataclass(frozen=True)
class _Sentence:
    """A template filled with vocabulary, its topic slots still open, its tokens counted once."""

    text: str
    tokens: int
    """Tokens without the topic: topic slots sit between spaces or punctuation, so counts add up."""
    topics: int


@dataclass(frozen=True)
class _DeckSpec:
    """Precomputed fillings of every template and shuffled orders to deal them in."""

    variants: tuple[tuple[_Sentence, ...], ...]
    orders: tuple[tuple[int, ...], ...]


@cache
def _deck_spec(templates: tuple[str, ...]) -> _DeckSpec:
    """Built once per template set, from a fixed seed, so every process deals the same sentences."""
    rng = random.Random("contract-kit decks\x00" + "\x00".join(templates))
    variants = tuple(_variants(template, rng) for template in templates)
    orders = []
    for _ in range(ORDERS):
        order = list(range(len(templates)))
        rng.shuffle(order)
        orders.append(tuple(order))
    return _DeckSpec(variants, tuple(orders))


def _variants(template: str, rng: random.Random) -> tuple[_Sentence, ...]:
    fixed = not (_fields(template) - {"topic", "Topic"})
    texts = dict.fromkeys(_fill(template, rng) for _ in range(1 if fixed else VARIANTS))
    return tuple(_sentence(text) for text in texts)


def _sentence(text: str) -> _Sentence:
    slots = text.count(_TOPIC) + text.count(_TITLE)
    return _Sentence(text, count_tokens(text.replace(_TOPIC, " ").replace(_TITLE, " ")), slots)


class _Topic:
    """The topic as a sentence takes it, with its token count, computed once per answer."""

    def __init__(self, topic: str) -> None:
        self.text = topic
        self.title = topic[:1].upper() + topic[1:]
        self.tokens = count_tokens(topic)

    def place(self, sentence: _Sentence) -> tuple[str, int]:
        if not sentence.topics:
            return sentence.text, sentence.tokens
        text = sentence.text.replace(_TOPIC, self.text).replace(_TITLE, self.title)
        return text, sentence.tokens + sentence.topics * self.tokens


def _pick(options: Sequence[_Sentence], rng: random.Random) -> _Sentence:
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """An integer in ``[low, high]``: one C-level draw, where ``randint`` costs several Python calls."""
    return low + int(rng.random() * (high - low + 1))


class _Deck:
    """Templates dealt without replacement, reshuffled when spent, so sentences rarely repeat.

    Each template's fillings are precomputed (:func:`_deck_spec`); dealing a
    sentence costs two draws and, when it names the topic, one replace.
    """

    def __init__(self, templates: tuple[str, ...], rng: random.Random, topic: _Topic) -> None:
        self._spec = _deck_spec(templates)
        self._rng = rng
        self._topic = topic
        self._left: list[int] = []

    def deal(self) -> tuple[str, int]:
        """A sentence and its token count."""
        if not self._left:
            self._left = list(self._spec.orders[int(self._rng.random() * ORDERS)])
        options = self._spec.variants[self._left.pop()]
        return self._topic.place(_pick(options, self._rng))


_REASONING_OPENER = REASONING_TEMPLATES[:1]
_REASONING_BODY = REASONING_TEMPLATES[1:]


def write_prose(rng: random.Random, topic: str, tokens: int, *, about_image: bool = False) -> str:
    """An answer of about ``tokens`` tokens (at least that many, before truncation)."""
    return write_prose_counted(rng, topic, tokens, about_image=about_image)[0]


def write_prose_counted(
    rng: random.Random, topic: str, tokens: int, *, about_image: bool = False
) -> tuple[str, int]:
    """:func:`write_prose` and its token count, counted as it is written rather than re-tokenized.

    Paragraphs of two to four sentences, sometimes a short bulleted list, so
    the text has the line breaks and markdown a real answer has.
    """
    placed = _Topic(topic)
    sentences, bullets = _Deck(CONTENT_TEMPLATES, rng, placed), _Deck(BULLET_TEMPLATES, rng, placed)
    parts: list[str] = []
    counted = 0  # parts meet at whitespace, so their token counts add up
    if about_image:
        openers = _deck_spec(IMAGE_OPENERS).variants
        text, count = placed.place(_pick(openers[int(rng.random() * len(openers))], rng))
        parts.append(text + " ")
        counted += count
    while counted < tokens:
        dealt = bullets if parts and rng.random() < 0.2 else sentences
        pieces = [
            dealt.deal() for _ in range(_between(rng, 2, 3) if dealt is bullets else _between(rng, 2, 4))
        ]
        counted += sum(count for _text, count in pieces)
        if dealt is bullets:
            parts.append("\n\n" + "\n".join(text for text, _count in pieces) + "\n\n")
        else:
            joiner = "" if not parts or parts[-1].endswith("\n") else "\n\n"
            parts.append(joiner + " ".join(text for text, _count in pieces))
    return "".join(parts).strip(), counted


def write_reasoning(rng: random.Random, topic: str, tokens: int) -> str:
    """A chain of thought of about ``tokens`` tokens, in the vendor example's voice."""
    return write_reasoning_counted(rng, topic, tokens)[0]


def write_reasoning_counted(rng: random.Random, topic: str, tokens: int) -> tuple[str, int]:
    """:func:`write_reasoning` and its token count (sentences meet at a space, so counts add up)."""
    placed = _Topic(topic)
    deck = _Deck(_REASONING_BODY, rng, placed)
    opener, counted = placed.place(_pick(_deck_spec(_REASONING_OPENER).variants[0], rng))
    sentences = [opener]
    while counted < tokens:
        text, count = deck.deal()
        sentences.append(text)
        counted += count
    return " ".join(sentences) + "\n", counted


def words(rng: random.Random, count: int) -> str:
    """A few vocabulary words, for string values inside generated JSON."""
    pool: Sequence[str] = NOUNS + ADJECTIVES
    return " ".join(rng.choice(pool) for _ in range(count))
