from django.db import migrations

from diagnostics.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("rma", "0007_refunds_and_quotes"),
        ("diagnostics", "0005_fault_signals"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
