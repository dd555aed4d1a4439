from django.db import migrations

from diagnostics.roles import roles_sync


class Migration(migrations.Migration):
    """Supervisors assign returns and keep the repair centres and their routing; every role reads them."""

    dependencies = [
        ("diagnostics", "0009_signal_families_and_magnitude"),
        ("rma", "0012_repair_centres"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
