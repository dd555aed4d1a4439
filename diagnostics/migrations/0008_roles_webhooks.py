from django.db import migrations

from diagnostics.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_integrations"),
        ("diagnostics", "0007_service_programmes"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
