from django.db import migrations

from diagnostics.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("rma", "0003_outbox_status_links_follow_ups_compensation"),
        ("diagnostics", "0002_roles"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
