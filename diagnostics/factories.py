"""factory-boy factories for diagnostics reference data."""

from __future__ import annotations

import factory

from diagnostics.models import Component, FailurePattern


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"component-{n}")
    name = factory.LazyAttribute(lambda c: c.code.replace("-", " ").title())


class FailurePatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FailurePattern
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"FP-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Failure pattern {n}")
    component = factory.SubFactory(ComponentFactory)
    symptoms = "Device does not power on after charging overnight."
    status = FailurePattern.Status.INVESTIGATING
    samples_wanted = 3
