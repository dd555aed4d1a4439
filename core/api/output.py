"""Output serializers that tell the schema the truth about blank values.

DRF builds a model field that is not editable (``editable=False``: a status, a resolution, a number the
services set) as a read-only field and stops before it notes that the field may be blank, so the schema
would offer only the choices, and a generated client could not read an open return (its resolution is
still ``""``). ``ModelOutput`` keeps the blank for those fields; nullable ones already say so.
"""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

TEXT_FIELDS = (models.CharField, models.TextField)


class ModelOutput(serializers.ModelSerializer):
    """A model's fields as an answer: a text field (or a choice) that may be blank is declared so."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.blank and isinstance(model_field, TEXT_FIELDS):
            kwargs["allow_blank"] = True
        return field_class, kwargs
