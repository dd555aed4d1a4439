"""Bad characters never get in: NUL and control characters per import row, look-alike serial numbers everywhere."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.exceptions import InvalidInput
from diagnostics.imports import failures_import_csv
from rma import selectors, services
from rma.models import RMA, Device, ProductModel, Source
from rma.normalise import normalise_serial
from tests.factories import DeviceFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

DEVICES = "serial_number,model_sku,lot,manufactured_on,shipped_on,firmware_version,model_name,customer_email"
FAILURES = "external_id,serial_number,reported_on,component,pattern_code,outcome,notes"
CYRILLIC_ES = "\u0421"  # С, looks like the Latin C
GREEK_ALPHA = "\u0391"  # Α, looks like the Latin A


def devices(*lines: str, strict: bool = False):
    from rma.services import devices_import_csv

    return devices_import_csv(file=StringIO("\n".join([DEVICES, *lines]) + "\n"), strict=strict)


def failures(*lines: str, strict: bool = False):
    return failures_import_csv(file=StringIO("\n".join([FAILURES, *lines]) + "\n"), strict=strict)


def errors_by_line(result) -> dict[int, str]:
    return {error.line: error.message for error in result.errors}


# Serial numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [("sn-abc-123", "SN-ABC-123"), ("ＳＮ－１２３", "SN-123"), ("  pa25/0042.b_1 ", "PA25/0042.B_1")],
)
def test_serials_are_trimmed_nfkc_normalised_and_upper_cased(typed, stored):
    assert normalise_serial(typed) == stored


@pytest.mark.parametrize(
    "typed, named",
    [
        (f"SN-{CYRILLIC_ES}1", "U+0421 CYRILLIC CAPITAL LETTER ES"),
        (f"{GREEK_ALPHA}B-1", "U+0391 GREEK CAPITAL LETTER ALPHA"),
        ("SN-\u0131", "U+0131 LATIN SMALL LETTER DOTLESS I"),  # upper-cases to an ASCII I
        ("SN 1", "a space"),
        ("SN\x001", "U+0000"),
        ("SN-\u200b1", "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_look_alike_and_odd_characters_are_refused_with_the_reason(typed, named):
    with pytest.raises(InvalidInput) as refused:
        normalise_serial(typed)
    assert refused.value.code == "invalid_serial"
    assert named.lower() in refused.value.message.lower()
    assert "A–Z, digits and - _ . /" in refused.value.message


def test_the_devices_import_refuses_look_alike_serials_and_folds_full_width_ones():
    DeviceFactory(serial_number="SN-100", product_model=ProductModelFactory(sku="PHN-1"))
    result = devices(
        f"SN-1{CYRILLIC_ES}0,PHN-1,L1,2025-01-06,2025-01-20,1.0,,",
        "ＳＮ－１００,PHN-1,L9,2025-01-06,2025-01-20,1.0,,",
        "SN-200,PHN-1,L1,2025-01-06,2025-01-20,1.0,,",
    )
    assert list(errors_by_line(result)) == [2]
    assert "CYRILLIC CAPITAL LETTER ES" in errors_by_line(result)[2].upper()
    assert sorted(Device.objects.values_list("serial_number", "lot")) == [("SN-100", "L9"), ("SN-200", "L1")]


def test_the_failures_import_refuses_look_alike_serials_and_finds_full_width_ones():
    DeviceFactory(serial_number="SN-1", manufactured_on=dt.date(2024, 1, 1), shipped_on=dt.date(2024, 1, 2))
    result = failures(
        f"E1,{CYRILLIC_ES}N-1,2024-06-01,battery,,confirmed,",
        "E2,ＳＮ－１,2024-06-01,battery,,confirmed,",
    )
    assert list(errors_by_line(result)) == [2]
    assert "serial_number has" in errors_by_line(result)[2]
    assert RMA.objects.get().external_id == "E2"


def test_the_api_refuses_a_look_alike_serial_when_creating_or_looking_up(supervisor):
    ProductModelFactory(sku="PHN-1")
    client = APIClient()
    client.force_authenticate(supervisor)
    created = client.post(
        "/api/v1/devices/", {"serial_number": f"SN-{CYRILLIC_ES}1", "model_sku": "PHN-1"}, format="json"
    )
    assert created.status_code == 400
    assert created.json()["code"] == "invalid_serial"
    assert client.get(f"/api/v1/devices/SN-{CYRILLIC_ES}1/").json()["code"] == "invalid_serial"
    answer = client.post(
        "/api/v1/rmas/",
        {
            "serial_number": f"SN-{CYRILLIC_ES}1",
            "customer_email": "a@example.com",
            "customer_name": "A",
            "fault_description": "Dead",
        },
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_serial"
    assert not Device.objects.exists()


def test_full_width_serial_finds_the_same_device_everywhere(in_warranty_device):
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in in_warranty_device.serial_number)
    assert selectors.device_by_serial(full_width) == in_warranty_device
    rma = services.rma_create(
        serial_number=full_width,
        customer_email="owner@example.com",
        customer_name="Owner",
        fault_description="Dead",
        actor=None,
        source=Source.PAGE,
    )
    assert rma.device == in_warranty_device


def test_a_replacement_with_a_look_alike_serial_is_refused_on_its_field(in_warranty_device):
    with pytest.raises(InvalidInput) as refused:
        services.replacement_device_take(failed=in_warranty_device, serial_number=f"NEW-{CYRILLIC_ES}")
    assert (refused.value.code, refused.value.field) == ("invalid_serial", "replacement_serial")


def test_the_public_form_refuses_a_look_alike_serial_with_a_form_error(client, in_warranty_device):
    answer = client.post(
        "/returns/new/",
        {
            "serial_number": in_warranty_device.serial_number.replace("S", CYRILLIC_ES, 1),
            "name": "Owner",
            "email": "owner@example.com",
            "fault_description": "Dead",
            "submission_id": "x1",
        },
    )
    assert answer.status_code == 200
    assert "serial numbers use only" in answer.content.decode()
    assert not RMA.objects.exists()


def test_the_admin_refuses_a_look_alike_serial_with_a_form_error(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    model = ProductModelFactory(sku="PHN-1")
    answer = client.post(
        "/admin/rma/device/add/",
        {"serial_number": f"SN-{CYRILLIC_ES}1", "product_model": model.pk, "warranty_extension_months": 0},
    )
    assert answer.status_code == 200
    assert "serial numbers use only" in answer.content.decode()
    late = client.post(
        "/admin/rma/device/add/",
        {"serial_number": "SN-OK-1", "product_model": model.pk, "shipped_on": "9999-12-31"},
    )
    assert late.status_code == 200 and "outside 01 Jan 1970 to 31 Dec 2100" in late.content.decode()
    assert not Device.objects.exists()
    assert client.get("/admin/rma/device/", {"q": f"SN-{CYRILLIC_ES}1"}).status_code == 200
    assert client.get("/admin/rma/rma/", {"q": "someone@example.com"}).status_code == 200


# NUL bytes and control characters -------------------------------------------------------------------


def test_nul_and_control_characters_in_a_devices_row_are_reported_and_the_good_rows_imported():
    result = devices(
        "G1,PHN-1,L1,2025-01-06,2025-01-20,1.0,Phone\x00One,",
        "G2,PHN-2,L1,2025-01-06,2025-01-20,1.0,Phone Two,",
        "G3,PHN-3,L\x1b[31m,2025-01-06,2025-01-20,1.0,,",
        "G4,PHN-4,L1,2025-01-06,2025-01-20,1.0,,bad\x00@example.com",
        "G5\x00,PHN-5,L1,2025-01-06,2025-01-20,1.0,,",
        "G6,PHN-6,L1,2025-01-06\x00,2025-01-20,1.0,,",
    )
    assert errors_by_line(result) == {
        2: "model_name contains a NUL byte (U+0000)",
        4: "lot contains a control character (U+001B)",
        5: "customer_email contains a NUL byte (U+0000)",
        6: "serial_number has “\\x00” (U+0000 a control character); serial numbers use only the letters A–Z, "
        "digits and - _ . /",
        7: "manufactured_on “2025-01-06\x00” is not a date written YYYY-MM-DD",
    }
    assert list(Device.objects.values_list("serial_number", flat=True)) == ["G2"]
    assert list(ProductModel.objects.values_list("sku", flat=True)) == ["PHN-2"]
    assert all("\x00" not in str(error) and "\x1b" not in str(error) for error in result.errors)


def test_with_strict_a_nul_byte_refuses_the_whole_devices_file():
    result = devices(
        "G1,PHN-1,L1,2025-01-06,2025-01-20,1.0,Phone\x00One,",
        "G2,PHN-2,L1,2025-01-06,2025-01-20,1.0,Phone Two,",
        strict=True,
    )
    assert not result.written and list(errors_by_line(result)) == [2]
    assert not Device.objects.exists()


def test_nul_and_control_characters_in_a_failures_row_are_reported_and_the_good_rows_imported():
    DeviceFactory(serial_number="SN-1", manufactured_on=dt.date(2024, 1, 1), shipped_on=dt.date(2024, 1, 2))
    result = failures(
        "E1,SN-1,2024-06-01,battery,,confirmed,swollen\x00cell",
        'E2,SN-1,2024-06-02,battery,,confirmed,"two lines,\nand a\ttab"',
        "E3\x07,SN-1,2024-06-03,battery,,confirmed,",
        "E4,SN-1,2024-06-04,batt\x00ery,,confirmed,",
        "E5,SN-1,2024-06-05,battery,FP\x00,confirmed,",
        "E6,SN-1,2024-06-06,battery,,confirmed,\x1b]0;owned\x07",
    )
    assert errors_by_line(result) == {
        2: "notes contains a NUL byte (U+0000)",
        5: "external_id contains a control character (U+0007)",
        6: "component contains a NUL byte (U+0000)",
        7: "pattern_code contains a NUL byte (U+0000)",
        8: "notes contains a control character (U+001B)",
    }
    assert list(RMA.objects.values_list("external_id", "fault_description")) == [("E2", "two lines,\nand a\ttab")]


def test_the_import_command_names_the_line_and_never_prints_the_control_character(tmp_path):
    DeviceFactory(serial_number="SN-1", manufactured_on=dt.date(2024, 1, 1), shipped_on=dt.date(2024, 1, 2))
    path = tmp_path / "failures.csv"
    path.write_text(
        "\n".join([FAILURES, "E1,SN-1,2024-06-01,battery,,confirmed,ok", "E2,SN-1,2024-06-01,battery,,\x1b[2J,"])
        + "\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_failures", str(path), stdout=out)
    printed = out.getvalue()
    assert "line 3: outcome “\\x1b[2j” is not one of" in printed
    assert "\x1b" not in printed
    with pytest.raises(CommandError):
        call_command("import_failures", str(path), "--strict", stdout=StringIO())
