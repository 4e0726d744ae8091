"""A data source reads its records through a mapping profile of the sales import: each
connection's own mapping (and date order and amount format) moves into a profile of its
workspace, named after it, then the connection's columns go."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def _free_name(taken: set[str], base: str) -> str:
    name = base[:100]
    n = 2
    while name in taken:
        suffix = f" ({n})"
        name = base[: 100 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def into_profiles(apps, schema_editor):  # type: ignore[no-untyped-def]
    """One profile per connection that maps a field or names a format; a connection that maps
    nothing (the CRM connectors give a sale's fields by name) keeps none."""
    Connection = apps.get_model("sources", "Connection")
    MappingProfile = apps.get_model("sales", "MappingProfile")
    taken: dict[int, set[str]] = {}
    for connection in Connection.objects.order_by("pk"):
        mapping = {k: v for k, v in (connection.mapping or {}).items() if v is not None}
        if not mapping and connection.date_order == "auto" and connection.amount_style == "auto":
            continue
        names = taken.setdefault(
            connection.workspace_id,
            set(
                MappingProfile.objects.filter(workspace_id=connection.workspace_id).values_list(
                    "name", flat=True
                )
            ),
        )
        connection.profile = MappingProfile.objects.create(
            workspace_id=connection.workspace_id,
            name=_free_name(names, connection.name),
            mapping=mapping,
            date_order=connection.date_order,
            amount_style=connection.amount_style,
            source=f"sync:{connection.uuid}"[:60],
            updated_at=timezone.now(),
        )
        connection.save(update_fields=["profile"])


def back_from_profiles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Connection = apps.get_model("sources", "Connection")
    for connection in Connection.objects.exclude(profile=None).select_related("profile"):
        connection.mapping = connection.profile.mapping
        connection.date_order = connection.profile.date_order
        connection.amount_style = connection.profile.amount_style
        connection.save(update_fields=["mapping", "date_order", "amount_style"])


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0011_alter_exchangerate_uuid_and_more"),
        ("sources", "0002_workspace_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="profile",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="sales.mappingprofile",
                verbose_name="column mapping",
            ),
        ),
        migrations.RunPython(into_profiles, back_from_profiles),
        migrations.RemoveField(model_name="connection", name="amount_style"),
        migrations.RemoveField(model_name="connection", name="date_order"),
        migrations.RemoveField(model_name="connection", name="mapping"),
    ]
