"""Generated failure patterns and technicians' symptom notes (see ``text``)."""

from tests.generators.symptoms.text import (
    COMPONENTS,
    PatternSpec,
    TextStyle,
    customer_text,
    pattern_specs,
    technician_text,
    weighted_choice,
)

__all__ = [
    "COMPONENTS",
    "PatternSpec",
    "TextStyle",
    "customer_text",
    "pattern_specs",
    "technician_text",
    "weighted_choice",
]
