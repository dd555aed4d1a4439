"""factory-boy factories for the tests.

Only plain reference data is built directly; RMAs are opened and moved through the services.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from diagnostics.models import Component, FailurePattern
from rma.models import Customer, Device, ProductModel
from rma.services import device_warranty_end


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role="technician")`` puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"PM-{n:03d}")
    name = factory.Sequence(lambda n: f"Phone {n}")
    family = "Phones"
    warranty_months = 12
    goodwill_window_months = 6


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("email",)

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Faker("phone_number")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device
        django_get_or_create = ("serial_number",)

    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    product_model = factory.SubFactory(ProductModelFactory)
    lot = "L2501"
    manufactured_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=120))
    shipped_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=90))
    firmware_version = "1.0.0"
    owner = factory.SubFactory(CustomerFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        device = model_class(*args, **kwargs)
        device.warranty_ends_on = device_warranty_end(device)
        device.save()
        return device


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
