"""Cheaper keys for the two bulk tables (issue 20, lean first import).

- ``sales_credit`` is keyed by its natural key ``(workspace, sale, seller, kind)``: the unique
  constraint becomes the primary key and the ``id`` column, its sequence and its index go.
- On PostgreSQL, ``sales_sale.source`` and ``external_id`` compare by bytes (``COLLATE "C"``),
  so the unique (workspace, source, external id) index no longer calls the locale's collation
  for every comparison. SQLite compares bytes already.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE sales_credit ADD CONSTRAINT sales_credit_pkey "
        "PRIMARY KEY (workspace_id, sale_id, seller_id, kind)"
    )
    schema_editor.execute(
        'ALTER TABLE sales_sale ALTER COLUMN source TYPE varchar(60) COLLATE "C", '
        'ALTER COLUMN external_id TYPE varchar(100) COLLATE "C"'
    )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE sales_sale ALTER COLUMN source TYPE varchar(60) COLLATE "default", '
        'ALTER COLUMN external_id TYPE varchar(100) COLLATE "default"'
    )
    schema_editor.execute("ALTER TABLE sales_credit DROP CONSTRAINT sales_credit_pkey")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0011_alter_exchangerate_uuid_and_more"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="credit",
            name="credit_unique_seller",
        ),
        migrations.AddField(
            model_name="credit",
            name="pk",
            field=models.CompositePrimaryKey(
                "workspace",
                "sale",
                "seller",
                "kind",
                blank=True,
                editable=False,
                primary_key=True,
                serialize=False,
            ),
        ),
        migrations.RemoveField(
            model_name="credit",
            name="id",
        ),
        migrations.RunPython(forwards, backwards),
    ]
