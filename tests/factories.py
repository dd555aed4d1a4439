"""Factories for the tests (the apps own them, so ``seed_demo`` can use them too)."""

from diagnostics.factories import ComponentFactory, FailurePatternFactory
from rma.factories import CustomerFactory, DeviceFactory, ProductModelFactory, UserFactory

__all__ = [
    "ComponentFactory",
    "CustomerFactory",
    "DeviceFactory",
    "FailurePatternFactory",
    "ProductModelFactory",
    "UserFactory",
]
