"""Pattern suggestions while diagnosing: which known failure patterns the symptoms typed look like.

Each candidate pattern (of the failed component, when it is known) gets a score from

- how alike the symptoms are to the pattern's text: its title and symptom description, and what
  technicians wrote on earlier diagnoses of it (``FailurePattern.symptom_corpus``, kept up to date
  by ``pattern_corpus_add`` as diagnoses are recorded). On PostgreSQL this is pg_trgm's
  ``word_similarity`` over ``search_text`` (GIN trigram index); elsewhere a trigram similarity
  computed here, phrase by phrase;
- whether the pattern affects the unit's model;
- how active the pattern is (diagnoses in the last ``ACTIVITY_DAYS``).

``pattern_suggestions`` returns the best ``limit`` as ``Suggestion(pattern, score, reasons)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Least, Ln
from django.utils import timezone

from diagnostics.models import Component, Diagnosis, FailurePattern
from rma.models import ProductModel

ACTIVITY_DAYS = 180
ACTIVITY_SATURATION = 50  # this many recent diagnoses count as fully active
CORPUS_MAX_PHRASES = 20
CORPUS_MAX_CHARS = 1500
NEAR_DUPLICATE = 0.8  # a phrase whose trigrams are this much in the newer phrases adds nothing
PHRASE_MAX_CHARS = 300


@dataclass(frozen=True)
class Weights:
    """How the signals add up to a score (tuned on the benchmark's validation texts only)."""

    text: float = 0.70
    model: float = 0.27
    activity: float = 0.03


# The text score: half how alike the note is to the pattern's own description, half to its history.
TEXT_DESCRIBED = 0.5


WEIGHTS = Weights()


@dataclass(frozen=True)
class Suggestion:
    pattern: FailurePattern
    score: float  # 0 to 1
    reasons: list[str]
    text_score: float = 0.0


# Text --------------------------------------------------------------------------------------------

WORD = re.compile(r"[0-9a-zà-ÿ]+")
# Words that say nothing about the failure: left out of the query so they do not dilute it.
STOPWORDS = frozenset(
    """a an and are as at be been but by cust customer customers does for from has have he her his i in is it its
    me my of on or our owner per phone reported reports said says she so states that the their them then there
    this to unit user was we were when which while with device also very especially mainly mostly really just
    still even only""".split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def query_text(symptoms: str) -> str:
    """The symptoms as matched: lower-case words, without the ones that carry no meaning."""
    return " ".join(word for word in words(symptoms) if word not in STOPWORDS)


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def phrase_similarity(query: frozenset[str], phrase: frozenset[str]) -> float:
    """How well a phrase matches the query: shared trigrams over the query's and the matched part's.

    Close to pg_trgm's ``word_similarity``: words of the phrase that share nothing with the query
    do not count against it.
    """
    if not query or not phrase:
        return 0.0
    shared = len(query & phrase)
    return shared / len(query | (phrase & query))  # = shared / len(query)


# The corpus of what technicians wrote ---------------------------------------------------------------


def phrase_normalise(text: str) -> str:
    return query_text(text)[:PHRASE_MAX_CHARS]


def corpus_merge(corpus: str, phrase: str) -> str:
    """``corpus`` with ``phrase`` in front, keeping only phrases that add wording the newer ones lack.

    A phrase whose trigrams the phrases before it already hold (``NEAR_DUPLICATE`` of them) adds
    nothing; the oldest go beyond the caps. So the corpus keeps the variety of how technicians
    describe the failure in little space.
    """
    phrase = phrase_normalise(phrase)
    if not phrase:
        return corpus
    kept = [phrase]
    seen = set(trigrams(phrase))
    size = len(phrase)
    for line in corpus.splitlines():
        grams = trigrams(line)
        if not grams or len(grams & seen) >= NEAR_DUPLICATE * len(grams):
            continue
        if len(kept) >= CORPUS_MAX_PHRASES or size + len(line) + 1 > CORPUS_MAX_CHARS:
            break
        kept.append(line)
        seen |= grams
        size += len(line) + 1
    return "\n".join(kept)


def pattern_corpus_add(*, pattern: FailurePattern, symptoms: str) -> None:
    """Learn a diagnosis's symptom text for the pattern (the caller holds the pattern's row lock)."""
    merged = corpus_merge(pattern.symptom_corpus, symptoms)
    if merged != pattern.symptom_corpus:
        pattern.symptom_corpus = merged
        pattern.save(update_fields=["symptom_corpus"])


def pattern_corpus_rebuild(*, patterns=None) -> int:
    """Rebuild corpora from the diagnoses (after an import of history): newest first. Returns how many changed."""
    patterns = FailurePattern.objects.all() if patterns is None else patterns
    changed = 0
    for pattern in patterns.only("pk", "symptom_corpus"):
        corpus = ""
        texts = (
            Diagnosis.objects.filter(pattern=pattern)
            .exclude(symptoms="")
            .order_by("created_at", "id")
            .values_list("symptoms", flat=True)
        )
        recent = list(texts.reverse()[: CORPUS_MAX_PHRASES * 5])
        for text in reversed(recent):
            corpus = corpus_merge(corpus, text)
        if corpus != pattern.symptom_corpus:
            FailurePattern.objects.filter(pk=pattern.pk).update(symptom_corpus=corpus)
            changed += 1
    return changed


# Ranking -----------------------------------------------------------------------------------------

RERANK = 20  # candidates that the first, cheap pass hands to the full comparison
MAX_CHUNKS = 6
# A note is a few statements ("drains fast, in the cold - smells"): each is compared on its own, so
# the failure and its circumstances may match different earlier notes of the same pattern.
CHUNK_SPLIT = re.compile(
    r"[,;.:!?()/+&]+|\s-+\s|\b(?:especially|mainly|mostly|and|when|while|after|since|during)\b", re.IGNORECASE
)


def query_chunks(symptoms: str) -> list[tuple[str, float]]:
    """The note's statements with their weights (their share of the note's trigrams)."""
    chunks = [query_text(part) for part in CHUNK_SPLIT.split(symptoms) if part]
    chunks = [chunk for chunk in chunks if chunk]
    if len(chunks) > MAX_CHUNKS:
        chunks = [*chunks[: MAX_CHUNKS - 1], " ".join(chunks[MAX_CHUNKS - 1 :])]
    sizes = [len(trigrams(chunk)) for chunk in chunks]
    total = sum(sizes) or 1
    return [(chunk, size / total) for chunk, size in zip(chunks, sizes, strict=True)]


def _candidates(component: Component | None):
    queryset = FailurePattern.objects.exclude(status=FailurePattern.Status.CLOSED, root_cause="")
    if component is not None:
        queryset = queryset.filter(component=component)
    return queryset


def _model_match(product_model: ProductModel | None):
    """1 when the pattern lists the model, 0.5 when it lists none (scope unknown), 0 when it lists others."""
    if product_model is None:
        return Value(0.5, output_field=FloatField())
    through = FailurePattern.affected_models.through
    listed_any = Exists(through.objects.filter(failurepattern_id=OuterRef("pk")))
    listed = Exists(through.objects.filter(failurepattern_id=OuterRef("pk"), productmodel_id=product_model.pk))
    return Case(
        When(listed, then=Value(1.0)),
        When(~listed_any, then=Value(0.5)),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _activity_score(recent: int) -> float:
    return min(1.0, math.log1p(recent) / math.log1p(ACTIVITY_SATURATION))


def _score(text_score: float, model_match: float, recent: int, weights: Weights) -> float:
    return weights.text * text_score + weights.model * model_match + weights.activity * _activity_score(recent)


def _reasons(
    pattern: FailurePattern, *, text_score: float, model_match: float, recent: int, component, product_model
) -> list[str]:
    reasons = [f"symptoms {round(text_score * 100)}% alike"]
    if component is not None:
        reasons.append(f"same component ({component.name.lower()})")
    if product_model is not None and model_match == 1.0:
        reasons.append(f"affects {product_model.sku}")
    elif product_model is not None and model_match == 0.0:
        reasons.append(f"not known on {product_model.sku}")
    if recent:
        reasons.append(f"{recent} diagnos{'is' if recent == 1 else 'es'} in {ACTIVITY_DAYS} days")
    if pattern.status != FailurePattern.Status.INVESTIGATING:
        reasons.append(pattern.get_status_display().lower())
    return reasons


def _ranked_postgresql(query, chunks, candidates, product_model, since, weights: Weights, limit: int):
    """Two passes in one query: the description and the model pick ``RERANK`` candidates, whose
    history is then compared statement by statement (``word_similarity`` over ``search_text``)."""
    described = Concat("title", Value(" "), "symptoms", output_field=TextField())
    first_pass = (
        candidates.annotate(
            described_score=TrigramWordSimilarity(query, described),
            model_match=_model_match(product_model),
        )
        .annotate(pre=weights.text * F("described_score") + weights.model * F("model_match"))
        .order_by("-pre", "code")
        .values("pk")[:RERANK]
    )
    history_score = sum(
        (weight * TrigramWordSimilarity(chunk, "search_text") for chunk, weight in chunks),
        start=Value(0.0),
    )
    recent = Subquery(
        Diagnosis.objects.filter(pattern=OuterRef("pk"), created_at__gte=since)
        .order_by()
        .values("pattern")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    ranked = (
        FailurePattern.objects.filter(pk__in=Subquery(first_pass))
        .select_related("component")
        .annotate(
            text_score=TEXT_DESCRIBED * TrigramWordSimilarity(query, described) + (1 - TEXT_DESCRIBED) * history_score,
            model_match=_model_match(product_model),
            recent=Coalesce(recent, 0),
        )
        .annotate(
            score=weights.text * F("text_score")
            + weights.model * F("model_match")
            + weights.activity * Least(Value(1.0), Ln(F("recent") + 1.0) / Value(math.log1p(ACTIVITY_SATURATION))),
        )
        .order_by("-score", "code")[:limit]
    )
    return [(pattern, pattern.text_score, pattern.model_match, pattern.recent) for pattern in ranked]


def _ranked_python(query, chunks, candidates, product_model, since, weights: Weights, limit: int):
    patterns = list(
        candidates.select_related("component").annotate(
            model_match=_model_match(product_model),
            recent=Count("diagnoses", filter=Q(diagnoses__created_at__gte=since)),
        )
    )
    query_grams = trigrams(query)
    chunk_grams = [(trigrams(chunk), weight) for chunk, weight in chunks]
    scored = []
    for pattern in patterns:
        described = phrase_similarity(query_grams, trigrams(f"{pattern.title} {pattern.symptoms}"))
        phrases = [trigrams(phrase) for phrase in pattern.search_text_lines()]
        history = sum(
            weight * max((phrase_similarity(grams, phrase) for phrase in phrases), default=0.0)
            for grams, weight in chunk_grams
        )
        text_score = TEXT_DESCRIBED * described + (1 - TEXT_DESCRIBED) * history
        score = _score(text_score, pattern.model_match, pattern.recent, weights)
        scored.append((score, pattern.code, pattern, text_score))
    scored.sort(key=lambda row: (-row[0], row[1]))
    return [(pattern, text_score, pattern.model_match, pattern.recent) for _, _, pattern, text_score in scored[:limit]]


def pattern_suggestions(
    *,
    product_model: ProductModel | None,
    component: Component | None,
    symptoms: str,
    limit: int = 5,
    weights: Weights = WEIGHTS,
) -> list[Suggestion]:
    """The ``limit`` patterns most likely to explain a failure, best first, each with its reasons.

    Only patterns of ``component`` are considered when it is given; ``product_model`` raises the
    patterns known on it. One query.
    """
    query = query_text(symptoms)
    if not query:
        return []
    chunks = query_chunks(symptoms)
    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    rank = _ranked_postgresql if connection.vendor == "postgresql" else _ranked_python
    rows = rank(query, chunks, _candidates(component), product_model, since, weights, limit)
    return [
        Suggestion(
            pattern=pattern,
            score=round(_score(text_score, model_match, recent, weights), 3),
            text_score=round(text_score, 3),
            reasons=_reasons(
                pattern,
                text_score=text_score,
                model_match=model_match,
                recent=recent,
                component=component,
                product_model=product_model,
            ),
        )
        for pattern, text_score, model_match, recent in rows
    ]
