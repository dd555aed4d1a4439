"""``import_devices``: the installed base from CSV (SPEC §8). Runs on SQLite and on PostgreSQL (COPY)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ImportFileInvalid
from rma import policy
from rma.models import Customer, Device, ProductModel
from rma.services import device_extend_warranty, devices_import, devices_import_csv
from rma.services import imports as device_imports
from tests.factories import CustomerFactory, DeviceFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

HEADER = "serial_number,model_sku,lot,manufactured_on,shipped_on,firmware_version"


def csv_file(tmp_path, *lines: str, header: str = HEADER, name: str = "devices.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run_import(path, *args: str) -> str:
    out = StringIO()
    call_command("import_devices", str(path), *args, stdout=out)
    return out.getvalue()


def import_text(*lines: str, header: str = HEADER, strict: bool = False):
    return devices_import_csv(file=StringIO("\n".join([header, *lines]) + "\n"), strict=strict)


def errors_by_line(result) -> dict[int, str]:
    return {error.line: error.message for error in result.errors}


def test_new_devices_are_created_with_the_policy_warranty_end(tmp_path):
    # given a file with two models, one of them with its warranty length and name
    path = csv_file(
        tmp_path,
        "PHN0001,PHN-9,L2501,2025-01-06,2025-01-31,1.0.0,Phone Nine,24",
        "EAR0001,EAR-1,L2502,2025-01-07,2025-02-03,2.1.0,,",
        header=HEADER + ",model_name,warranty_months",
    )

    # when
    output = run_import(path)

    # then
    phone = Device.objects.select_related("product_model").get(serial_number="PHN0001")
    assert phone.product_model.sku == "PHN-9"
    assert phone.product_model.name == "Phone Nine"
    assert phone.product_model.warranty_months == 24
    assert (phone.lot, phone.firmware_version) == ("L2501", "1.0.0")
    assert phone.manufactured_on == dt.date(2025, 1, 6)
    assert phone.shipped_on == dt.date(2025, 1, 31)
    assert phone.warranty_ends_on == policy.warranty_end(starts_on=dt.date(2025, 1, 31), months=24)
    assert phone.warranty_ends_on == dt.date(2027, 1, 30)
    earbuds = Device.objects.select_related("product_model").get(serial_number="EAR0001")
    assert earbuds.product_model.name == "EAR-1"
    assert earbuds.product_model.warranty_months == 12  # the default
    assert earbuds.warranty_ends_on == dt.date(2026, 2, 2)
    assert "Created:" in output and "New product models:" in output
    assert "EAR-1, PHN-9" in output


def test_warranty_end_clamps_to_the_end_of_a_short_month():
    ProductModelFactory(sku="WAT-1", warranty_months=1)

    import_text("W1,WAT-1,L1,2024-01-02,2024-01-31,1.0")

    # a month from 31 Jan runs to the end of February (a leap year): the anniversary day does not exist
    assert Device.objects.get(serial_number="W1").warranty_ends_on == dt.date(2024, 2, 29)
    assert dt.date(2024, 2, 29) == policy.warranty_end(starts_on=dt.date(2024, 1, 31), months=1)


def test_existing_models_keep_their_warranty_and_the_row_is_told_so():
    ProductModelFactory(sku="PHN-1", name="Phone One", warranty_months=12)

    result = import_text(
        "S1,PHN-1,L1,2025-01-06,2025-01-20,1.0,Other name,24", header=HEADER + ",model_name,warranty_months"
    )

    model = ProductModel.objects.get(sku="PHN-1")
    assert (model.name, model.warranty_months) == ("Phone One", 12)
    assert Device.objects.get(serial_number="S1").warranty_ends_on == dt.date(2026, 1, 19)
    assert result.new_models == []
    assert any("warranty_months 24 for PHN-1" in warning for warning in result.warnings)
    assert any("model_name “Other name”" in warning for warning in result.warnings)


def test_serial_numbers_are_normalised_and_matched_after_normalisation():
    result = import_text(
        " sn-1 ,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        "SN-1,PHN-1,L1,2025-01-06,2025-01-20,1.0",
    )

    assert list(Device.objects.values_list("serial_number", flat=True)) == ["SN-1"]
    assert errors_by_line(result) == {3: "serial number SN-1 already appears on line 2"}

    again = import_text("sn-1,PHN-1,L1,2025-01-06,2025-01-20,1.0")
    assert (again.created, again.unchanged) == (0, 1)


def test_every_bad_row_is_reported_with_its_line_and_the_good_rows_are_imported():
    result = import_text(
        "GOOD-1,PHN-1,L1,2025-01-06,2025-01-20,1.0,,a@example.com",
        "BAD-DATE,PHN-1,L1,06/01/2025,2025-01-20,1.0,,",
        "BAD-DAY,PHN-1,L1,2025-02-30,2025-03-02,1.0,,",
        "BAD-ORDER,PHN-1,L1,2025-02-10,2025-02-01,1.0,,",
        ",PHN-1,L1,2025-01-06,2025-01-20,1.0,,",
        "NO-LOT,PHN-1,,2025-01-06,2025-01-20,1.0,,",
        "BAD-MONTHS,PHN-1,L1,2025-01-06,2025-01-20,1.0,twelve,",
        "BAD-EMAIL,PHN-1,L1,2025-01-06,2025-01-20,1.0,,not-an-address",
        "SHORT,PHN-1,L1",
        "GOOD-1,PHN-1,L1,2025-01-06,2025-01-20,1.0,,",
        "BAD-SHIPPED,PHN-1,L1,2025-01-06,2025-13-01,1.0,,",
        "NO-MADE,PHN-1,L1,,2025-01-20,1.0,,",
        "GOOD-2,PHN-1,L1,2025-01-06,,1.0,,",
        header=HEADER + ",warranty_months,customer_email",
    )

    assert errors_by_line(result) == {
        3: "manufactured_on “06/01/2025” is not a date written YYYY-MM-DD",
        4: "manufactured_on 2025-02-30 is not a real date",
        5: "shipped_on 2025-02-01 is before manufactured_on 2025-02-10",
        6: "serial_number is empty",
        7: "lot is empty",
        8: "warranty_months “twelve” is not a whole number from 1 to 120",
        9: "customer_email “not-an-address” is not a valid e-mail address",
        10: "expected 8 values, found 3",
        11: "serial number GOOD-1 already appears on line 2",
        12: "shipped_on 2025-13-01 is not a real date",
        13: "manufactured_on is empty",
    }
    assert sorted(Device.objects.values_list("serial_number", flat=True)) == ["GOOD-1", "GOOD-2"]
    assert (result.rows, result.created) == (13, 2)
    in_stock = Device.objects.get(serial_number="GOOD-2")
    assert in_stock.shipped_on is None and in_stock.warranty_ends_on is None


def test_a_row_with_several_problems_lists_them_all():
    result = import_text("X,PHN-1,,2025-02-10,2025-02-01,")

    assert errors_by_line(result)[2] == (
        "lot is empty; firmware_version is empty; shipped_on 2025-02-01 is before manufactured_on 2025-02-10"
    )


def test_the_command_prints_each_bad_row_with_its_line_number(tmp_path):
    path = csv_file(tmp_path, "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0", "A2,PHN-1,L1,2025-02-30,2025-03-01,1.0")

    output = run_import(path)

    assert "line 3: manufactured_on 2025-02-30 is not a real date" in output
    assert Device.objects.filter(serial_number="A1").exists()


def test_a_missing_required_column_is_refused_before_any_row(tmp_path):
    path = csv_file(
        tmp_path, "A1,PHN-1,2025-01-06,2025-01-20,1.0", header="serial_number,model_sku,manufactured_on,shipped_on,fw"
    )

    with pytest.raises(CommandError, match="lacks the required columns lot, firmware_version"):
        run_import(path)

    assert not Device.objects.exists()
    assert not ProductModel.objects.exists()


def test_unknown_columns_are_a_warning_not_an_error(tmp_path):
    path = csv_file(tmp_path, "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0,blue", header=HEADER + ",colour")

    output = run_import(path)

    assert "Column “colour” is not one this import knows" in output
    assert Device.objects.filter(serial_number="A1").exists()


def test_an_empty_file_is_refused():
    with pytest.raises(ImportFileInvalid, match="empty"):
        devices_import_csv(file=StringIO(""))


def test_header_names_are_matched_ignoring_case_and_spaces_and_blank_lines_are_skipped():
    result = import_text(
        "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        "",
        ",,,,,",
        "A2,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        header=" Serial_Number ,MODEL_SKU,Lot,Manufactured_On,Shipped_On,Firmware_Version",
    )

    assert (result.created, result.errors, result.rows) == (2, [], 2)


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = csv_file(
        tmp_path,
        "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0,a@example.com",
        "A2,PHN-1,L1,2025-01-06,2025-01-20,1.0,",
        "A3,TAB-1,L2,2025-01-06,,1.0,",
        header=HEADER + ",customer_email",
    )
    run_import(path)
    before = list(Device.objects.order_by("serial_number").values())

    with path.open(encoding="utf-8") as file:
        result = devices_import_csv(file=file)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert (result.new_models, result.new_customers) == ([], 0)
    assert list(Device.objects.order_by("serial_number").values()) == before  # updated_at too
    assert Customer.objects.count() == 1 and ProductModel.objects.count() == 2


def test_changed_rows_are_updated_and_only_those(tmp_path):
    import_text(
        "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        "A2,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        "A3,PHN-1,L1,2025-01-06,2025-01-20,1.0",
    )
    stamps = dict(Device.objects.values_list("serial_number", "updated_at"))

    result = import_text(
        "A1,PHN-1,L1,2025-01-06,2025-01-20,1.1",  # new firmware
        "A2,PHN-1,L1,2025-01-06,2025-03-01,1.0",  # shipped later: its warranty moves
        "A3,PHN-1,L1,2025-01-06,2025-01-20,1.0",
        "A4,PHN-1,L1,2025-01-06,2025-01-20,1.0",
    )

    assert (result.created, result.updated, result.unchanged) == (1, 2, 1)
    devices = {device.serial_number: device for device in Device.objects.all()}
    assert devices["A1"].firmware_version == "1.1"
    assert devices["A2"].shipped_on == dt.date(2025, 3, 1)
    assert devices["A2"].warranty_ends_on == dt.date(2026, 2, 28)
    assert devices["A1"].updated_at > stamps["A1"] and devices["A2"].updated_at > stamps["A2"]
    assert devices["A3"].updated_at == stamps["A3"]


def test_a_device_moved_to_another_model_gets_that_models_warranty():
    ProductModelFactory(sku="PHN-1", warranty_months=12)
    ProductModelFactory(sku="PHN-2", warranty_months=24)
    import_text("A1,PHN-1,L1,2025-01-06,2025-01-20,1.0")

    result = import_text("A1,PHN-2,L1,2025-01-06,2025-01-20,1.0")

    device = Device.objects.get(serial_number="A1")
    assert result.updated == 1
    assert device.product_model.sku == "PHN-2"
    assert device.warranty_ends_on == dt.date(2027, 1, 19)


def test_a_stored_purchase_date_and_extension_still_decide_the_warranty():
    # given a device sold later than it shipped, with a one-month extension
    model = ProductModelFactory(sku="PHN-1", warranty_months=12)
    device = DeviceFactory(
        serial_number="A1",
        product_model=model,
        lot="L1",
        manufactured_on=dt.date(2025, 1, 6),
        shipped_on=dt.date(2025, 1, 20),
        purchased_on=dt.date(2025, 4, 2),
        firmware_version="1.0",
    )
    device_extend_warranty(device=device, months=1)
    device.refresh_from_db()
    assert device.warranty_ends_on == dt.date(2026, 5, 1)

    # when the same facts and then a firmware change are imported
    same = import_text("A1,PHN-1,L1,2025-01-06,2025-01-20,1.0")
    changed = import_text("A1,PHN-1,L1,2025-01-06,2025-01-20,1.1")

    # then the warranty still runs from the purchase date, with the extension
    assert (same.unchanged, changed.updated) == (1, 1)
    device.refresh_from_db()
    assert device.warranty_ends_on == dt.date(2026, 5, 1)
    assert device.purchased_on == dt.date(2025, 4, 2)


def test_an_empty_ship_date_or_email_does_not_erase_what_is_stored():
    owner = CustomerFactory(email="owner@example.com")
    DeviceFactory(
        serial_number="A1",
        product_model=ProductModelFactory(sku="PHN-1", warranty_months=12),
        lot="L1",
        manufactured_on=dt.date(2025, 1, 6),
        shipped_on=dt.date(2025, 1, 20),
        firmware_version="1.0",
        owner=owner,
    )

    result = import_text("A1,PHN-1,L1,2025-01-06,,1.0,", header=HEADER + ",customer_email")

    device = Device.objects.get(serial_number="A1")
    assert result.unchanged == 1
    assert device.shipped_on == dt.date(2025, 1, 20)
    assert device.warranty_ends_on == dt.date(2026, 1, 19)
    assert device.owner == owner


def test_customers_are_created_once_and_linked_by_normalised_email():
    existing = CustomerFactory(email="known@example.com", name="Known")

    result = import_text(
        "A1,PHN-1,L1,2025-01-06,2025-01-20,1.0, New@Example.COM ",
        "A2,PHN-1,L1,2025-01-06,2025-01-20,1.0,new@example.com",
        "A3,PHN-1,L1,2025-01-06,2025-01-20,1.0,KNOWN@example.com",
        "A4,PHN-1,L1,2025-01-06,2025-01-20,1.0,",
        header=HEADER + ",customer_email",
    )

    assert result.new_customers == 1
    owners = dict(Device.objects.values_list("serial_number", "owner__email"))
    assert owners == {"A1": "new@example.com", "A2": "new@example.com", "A3": "known@example.com", "A4": None}
    existing.refresh_from_db()
    assert existing.name == "Known"


def test_strict_writes_nothing_when_any_row_is_bad(tmp_path):
    path = csv_file(
        tmp_path,
        "A1,NEW-1,L1,2025-01-06,2025-01-20,1.0,a@example.com",
        "A2,NEW-1,L1,2025-02-30,2025-03-01,1.0,",
        header=HEADER + ",customer_email",
    )

    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(path, "--strict")

    assert not Device.objects.exists()
    assert not ProductModel.objects.exists()
    assert not Customer.objects.exists()


def test_strict_reports_every_bad_row_and_imports_a_clean_file(tmp_path):
    result = import_text(
        "A1,PHN-1,L1,2025-02-30,2025-03-01,1.0",
        "A2,PHN-1,L1,2025-01-06,2025-01-01,1.0",
        strict=True,
    )
    assert not result.written
    assert sorted(errors_by_line(result)) == [2, 3]
    assert not Device.objects.exists()

    clean = import_text("A1,PHN-1,L1,2025-01-06,2025-01-20,1.0", strict=True)
    assert clean.written and clean.created == 1


def test_text_with_backslashes_and_quotes_is_stored_as_written():
    import_text('A1,PHN-1,"L1\\2, the ""big"" one",2025-01-06,2025-01-20,v1\\beta')

    device = Device.objects.get()
    assert (device.serial_number, device.lot, device.firmware_version) == ("A1", 'L1\\2, the "big" one', "v1\\beta")


def test_control_characters_and_overlong_values_are_refused():
    result = import_text(f"A1,PHN-1,{'L' * 65},2025-01-06,2025-01-20,1.0", 'A2,PHN-1,"L\t1",2025-01-06,2025-01-20,1.0')

    assert errors_by_line(result) == {
        2: "lot is longer than 64 characters",
        3: "lot contains a control character (U+0009)",
    }


def test_rows_built_in_memory_pass_the_same_checks():
    result = devices_import(
        rows=[
            {
                "serial_number": "m1",
                "model_sku": "PHN-1",
                "lot": "L1",
                "manufactured_on": dt.date(2025, 1, 6),
                "shipped_on": dt.date(2025, 1, 20),
                "firmware_version": "1.0",
                "customer_email": "a@example.com",
            },
            {
                "serial_number": "m2",
                "model_sku": "PHN-1",
                "lot": "L1",
                "manufactured_on": dt.date(2025, 1, 6),
                "shipped_on": None,
                "firmware_version": "1.0",
                "customer_email": None,
            },
            {
                "serial_number": "m3",
                "model_sku": "PHN-1",
                "lot": "L1",
                "manufactured_on": "2025-02-30",
                "shipped_on": None,
                "firmware_version": "1.0",
                "customer_email": None,
            },
        ]
    )

    assert result.created == 2
    assert errors_by_line(result) == {4: "manufactured_on 2025-02-30 is not a real date"}
    assert Device.objects.get(serial_number="M1").owner.email == "a@example.com"
    assert devices_import(rows=[]).created == 0


def test_a_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(HEADER + "\nA1,PHN-1,L1,2025-01-06,2025-01-20,1.0\n", encoding="utf-8-sig")

    run_import(path)

    assert Device.objects.filter(serial_number="A1").exists()


def test_a_file_that_is_not_utf8_is_refused_whole(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nA1,PHN-1,L\xe9,2025-01-06,2025-01-20,1.0\n").encode("latin-1"))

    with pytest.raises(CommandError, match="not UTF-8"):
        run_import(path)

    assert not Device.objects.exists()


def test_thousands_of_rows_in_several_batches():
    rows = [f"S{n:05d},PHN-{n % 3},L{n // 500},2025-01-06,2025-01-{10 + n % 20:02d},1.0" for n in range(3000)]

    first = import_text(*rows)
    again = import_text(*rows[:1000], *[row.replace(",1.0", ",1.1") for row in rows[1000:1500]])

    assert (first.created, first.errors) == (3000, [])
    assert (again.created, again.updated, again.unchanged) == (0, 500, 1000)
    assert Device.objects.filter(firmware_version="1.1").count() == 500
    assert Device.objects.get(serial_number="S00007").warranty_ends_on == dt.date(2026, 1, 16)


@pytest.mark.postgres
def test_postgresql_imports_through_copy_and_one_upsert():
    assert connection.vendor == "postgresql"
    with mock.patch.object(device_imports._DeviceImport, "write_portable", side_effect=AssertionError("portable")):
        result = import_text("A1,PHN-1,L1,2025-01-06,2025-01-20,1.0", "A2,PHN-1,L1,2025-01-06,2025-01-20,1.0")

    assert result.created == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.device_import')")
        assert cursor.fetchone() == (None,)  # the staging table is gone


def device_table_shape() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = 'rma_device'::regclass"
            " UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'rma_device'::regclass"
        )
        return set(cursor.fetchall())


@pytest.mark.postgres
def test_a_bulk_load_rebuilds_the_indexes_and_foreign_keys_it_set_aside(settings):
    # given an import at least as large as the devices table, above the bulk-load threshold
    settings.RMA_IMPORT_BULK_LOAD_ROWS = 3
    shape = device_table_shape()
    rows = [f"B{n:03},PHN-1,L{n % 3},2025-01-06,2025-01-20,1.0," for n in range(40)]

    # when
    with CaptureQueriesContext(connection) as queries:
        result = import_text(
            *rows, "B040,PHN-1,L1,2025-01-06,2025-01-20,1.0,someone@example.com", header=HEADER + ",customer_email"
        )

    # then the devices are there, and the table has every index and constraint back, by name
    assert (result.created, result.updated, result.errors) == (41, 0, [])
    assert any("DROP INDEX" in query["sql"] for query in queries.captured_queries)
    assert device_table_shape() == shape
    owned = Device.objects.get(serial_number="B040")
    assert owned.owner == Customer.objects.get(email="someone@example.com")
    assert owned.warranty_ends_on == policy.warranty_end(
        starts_on=dt.date(2025, 1, 20), months=owned.product_model.warranty_months
    )


@pytest.mark.postgres
def test_a_bulk_load_over_stored_devices_still_updates_them(settings):
    # given two stored devices and a bulk load that changes one of them
    settings.RMA_IMPORT_BULK_LOAD_ROWS = 3
    import_text("C000,PHN-1,L1,2025-01-06,2025-01-20,1.0", "C001,PHN-1,L1,2025-01-06,2025-01-20,1.0")
    shape = device_table_shape()
    rows = [f"C{n:03},PHN-1,L1,2025-01-06,2025-01-20,{'2.0' if n == 1 else '1.0'}" for n in range(10)]

    # when
    result = import_text(*rows)

    # then
    assert (result.created, result.updated, result.unchanged) == (8, 1, 1)
    assert Device.objects.get(serial_number="C001").firmware_version == "2.0"
    assert device_table_shape() == shape


@pytest.mark.postgres
def test_a_small_import_leaves_the_indexes_alone(settings):
    settings.RMA_IMPORT_BULK_LOAD_ROWS = 100
    with CaptureQueriesContext(connection) as queries:
        import_text(*[f"D{n:03},PHN-1,L1,2025-01-06,2025-01-20,1.0" for n in range(20)])
    assert not any("DROP INDEX" in query["sql"] for query in queries.captured_queries)
