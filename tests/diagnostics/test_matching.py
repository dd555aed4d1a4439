"""Pattern suggestions while diagnosing (SPEC §6): trigram search on PostgreSQL, a portable fallback elsewhere."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics import matching, services
from diagnostics.models import FailurePattern
from rma.models import RMA, Source
from tests.factories import ComponentFactory, FailurePatternFactory, ProductModelFactory
from tests.generators.symptoms import TextStyle, pattern_specs, technician_text

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.postgres
not_on_postgresql = pytest.mark.skipif(
    "connection.vendor == 'postgresql'", reason="the portable fallback runs where pg_trgm does not"
)


@pytest.fixture
def catalogue(battery):
    display = ComponentFactory(code="display", name="Display")
    phone = ProductModelFactory(sku="PHN-1")
    tablet = ProductModelFactory(sku="TAB-1")

    def pattern(code, title, symptoms, component=battery, models=(phone,)):
        made = FailurePatternFactory(code=code, title=title, symptoms=symptoms, component=component)
        made.affected_models.set(models)
        return made

    return {
        "phone": phone,
        "tablet": tablet,
        "display": display,
        "cold": pattern("FP-0001", "Rapid drain in the cold", "Battery drains very fast at low temperature."),
        "swelling": pattern("FP-0002", "Swollen cell", "Battery swells and lifts the back cover."),
        "shutdown": pattern("FP-0003", "Shutdown with charge left", "Switches off suddenly with 30 percent left."),
        "tablet_cold": pattern(
            "FP-0004", "Rapid drain in the cold", "Battery drains very fast at low temperature.", models=(tablet,)
        ),
        "flicker": pattern("FP-0005", "Display flicker", "Screen flickers at low brightness.", component=display),
    }


def codes(suggestions):
    return [suggestion.pattern.code for suggestion in suggestions]


def suggest(symptoms, *, component, product_model=None, limit=5):
    return matching.pattern_suggestions(
        product_model=product_model, component=component, symptoms=symptoms, limit=limit
    )


def test_a_typo_ridden_note_ranks_the_right_pattern_first(catalogue, battery):
    suggestions = suggest(
        "batery drians realy fast wen its cold outsde", component=battery, product_model=catalogue["phone"]
    )
    assert codes(suggestions)[0] == "FP-0001"
    assert suggestions[0].score > suggestions[1].score
    assert suggestions[0].reasons[0].startswith("symptoms ")
    assert "affects PHN-1" in suggestions[0].reasons


def test_other_wordings_find_their_pattern(catalogue, battery):
    phone = catalogue["phone"]
    assert codes(suggest("back cover lifting, battery swollen", component=battery, product_model=phone))[0] == "FP-0002"
    assert codes(suggest("turns off suddenly at 30%", component=battery, product_model=phone))[0] == "FP-0003"


def test_only_the_failed_components_patterns_are_suggested(catalogue, battery):
    display = catalogue["display"]
    assert codes(suggest("screen flickers", component=display)) == ["FP-0005"]
    assert "FP-0005" not in codes(suggest("screen flickers", component=battery))


def test_the_units_model_decides_between_look_alikes(catalogue, battery):
    note = "drains fast in the cold"
    assert codes(suggest(note, component=battery, product_model=catalogue["phone"]))[0] == "FP-0001"
    on_tablet = suggest(note, component=battery, product_model=catalogue["tablet"])
    assert codes(on_tablet)[0] == "FP-0004"
    assert "not known on TAB-1" in on_tablet[1].reasons


def test_without_a_component_every_pattern_is_a_candidate(catalogue):
    assert codes(suggest("screen flickers at low brightness", component=None))[0] == "FP-0005"


def test_limit_and_empty_notes(catalogue, battery):
    assert len(suggest("battery", component=battery, limit=2)) == 2
    assert suggest("  ", component=battery) == []
    assert suggest("the and of", component=battery) == []  # nothing but filler


def test_dismissed_patterns_are_not_suggested(catalogue, battery, engineer):
    from diagnostics.patterns import pattern_transition

    pattern_transition(
        pattern=catalogue["swelling"], action="dismiss", actor=engineer, source=Source.ADMIN, reason="Duplicate."
    )
    assert "FP-0002" not in codes(suggest("battery swollen", component=battery))


def test_one_query_whatever_the_number_of_patterns(catalogue, battery, django_assert_num_queries):
    for n in range(30):
        FailurePatternFactory(code=f"FP-1{n:03d}", component=battery, title=f"Pattern {n}", symptoms=f"symptom {n}")
    with django_assert_num_queries(1):
        suggestions = suggest("drains fast when cold", component=battery, product_model=catalogue["phone"])
        reasons = [(s.pattern.component.name, s.reasons) for s in suggestions]
    assert len(reasons) == 5


# Learning from history ------------------------------------------------------------------------------------


def test_diagnoses_teach_their_pattern_new_wordings(catalogue, battery, build, make_device, technician):
    # given a pattern whose description uses other words than technicians do
    pattern = catalogue["shutdown"]
    query = "cuts out unexpectedly, meter shows 40"
    assert suggest(query, component=battery, product_model=catalogue["phone"])[0].text_score < 0.5
    # when a technician diagnoses a unit with it in their own words
    rma = build(RMA.Status.DIAGNOSING, device=make_device(product_model=catalogue["phone"]), diagnosed=False)
    services.diagnosis_record(
        rma=rma,
        actor=technician,
        source=Source.ADMIN,
        component=battery,
        outcome="confirmed",
        pattern=pattern,
        symptoms="Cuts out unexpectedly; battery meter shows 40%",
    )
    # then the pattern remembers them, and a note in those words finds it
    pattern.refresh_from_db()
    assert pattern.symptom_corpus == "cuts out unexpectedly battery meter shows 40"
    after = suggest(query, component=battery, product_model=catalogue["phone"])
    assert codes(after)[0] == "FP-0003"
    assert after[0].text_score > 0.5


def test_the_corpus_keeps_varied_wordings_newest_first_within_its_caps():
    corpus = ""
    for text in ["Battery drains fast", "battery  DRAINS fast!", "dies at 20 percent", "swollen battery"]:
        corpus = matching.corpus_merge(corpus, text)
    assert corpus.splitlines() == ["swollen battery", "dies 20 percent", "battery drains fast"]
    for n in range(100):
        corpus = matching.corpus_merge(corpus, f"distinct wording number{n} zq{n}x")
    assert len(corpus) <= matching.CORPUS_MAX_CHARS
    assert len(corpus.splitlines()) <= matching.CORPUS_MAX_PHRASES
    assert corpus.splitlines()[0] == "distinct wording number99 zq99x"


def test_the_corpus_can_be_rebuilt_from_history(catalogue, battery, build, make_device, technician):
    device = make_device(serial_number="SN-REBUILD", product_model=catalogue["phone"])
    rma = build(RMA.Status.DIAGNOSING, device=device, diagnosed=False)
    services.diagnosis_record(
        rma=rma,
        actor=technician,
        source=Source.ADMIN,
        component=battery,
        outcome="confirmed",
        pattern=catalogue["swelling"],
        symptoms="Back panel popping off",
    )
    FailurePattern.objects.filter(pk=catalogue["swelling"].pk).update(symptom_corpus="")
    assert matching.pattern_corpus_rebuild() == 1
    assert FailurePattern.objects.get(pk=catalogue["swelling"].pk).symptom_corpus == "back panel popping off"


# Each database's own ranking ------------------------------------------------------------------------------


@on_postgresql
def test_postgresql_ranks_with_pg_trgm(catalogue, battery):
    with CaptureQueriesContext(connection) as queries:
        suggestions = suggest("battrey drians fast in teh cold", component=battery, product_model=catalogue["phone"])
    assert codes(suggestions)[0] == "FP-0001"
    assert len(queries) == 1
    assert "WORD_SIMILARITY" in queries[0]["sql"].upper()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'diagnostics_failurepattern' "
            "AND indexname = 'pattern_search_trgm_idx'"
        )
        assert "gin_trgm_ops" in cursor.fetchone()[0]


@not_on_postgresql
def test_the_fallback_ranks_in_python(catalogue, battery):
    with CaptureQueriesContext(connection) as queries:
        suggestions = suggest("battrey drians fast in teh cold", component=battery, product_model=catalogue["phone"])
    assert codes(suggestions)[0] == "FP-0001"
    assert "SIMILARITY" not in queries[0]["sql"].upper()


def test_trigrams_are_those_of_pg_trgm():
    assert matching.trigrams("Cat!") == frozenset({"  c", " ca", "cat", "at "})
    assert matching.similarity(matching.trigrams("word"), matching.trigrams("words")) == pytest.approx(4 / 7)


def test_generated_notes_mostly_find_their_pattern(battery, build):
    """A small version of the benchmark: generated patterns and notes, history learnt through the service."""
    rng = random.Random(11)
    components = {"battery": battery, "display": ComponentFactory(code="display", name="Display")}
    model = ProductModelFactory(sku="PHN-1")
    specs = pattern_specs(count=24, models=["PHN-1"], rng=rng, components=["battery", "display"])
    for spec in specs:
        pattern = FailurePatternFactory(
            code=spec.code, title=spec.title, symptoms=spec.symptoms, component=components[spec.component]
        )
        pattern.affected_models.set([model])
        for _ in range(3):
            matching.pattern_corpus_add(
                pattern=pattern, symptoms=technician_text(spec, rng, TextStyle(vocabulary="shared"))
            )
    hits = 0
    for spec in specs:
        note = technician_text(spec, rng)
        found = codes(suggest(note, component=components[spec.component], product_model=model, limit=3))
        hits += spec.code in found
    assert hits / len(specs) >= 0.75
