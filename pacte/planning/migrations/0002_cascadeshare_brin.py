"""On PostgreSQL, ``planning_cascadeshare`` trades its composite primary-key b-tree for a BRIN
index on (run, seller).

A run is written once, by one ``COPY`` sorted by seller (``services.store_cells``), so its
cells are unique by construction and lie in seller order: a BRIN index of 16-page ranges
finds a seller's cells in about a millisecond and costs almost nothing to maintain, where the
b-tree doubled the time of storing a run (6 million rows for 100,000 sellers). The model keeps
its ``CompositePrimaryKey`` (Django needs one); SQLite keeps the primary key.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE planning_cascadeshare DROP CONSTRAINT planning_cascadeshare_pkey",
    "CREATE INDEX cascadeshare_brin ON planning_cascadeshare USING brin "
    "(run_id, seller_id) WITH (pages_per_range = 16)",
]
BACKWARD = [
    "DROP INDEX cascadeshare_brin",
    "ALTER TABLE planning_cascadeshare ADD CONSTRAINT planning_cascadeshare_pkey "
    "PRIMARY KEY (workspace_id, run_id, seller_id, channel_id, month)",
]


SQLITE_COLUMNS = (
    '"month" integer NOT NULL, "amount" bigint NOT NULL, "channel_id" bigint NOT NULL, '
    '"run_id" bigint NOT NULL, "seller_id" bigint NOT NULL, "unit_id" bigint NOT NULL, '
    '"workspace_id" bigint NOT NULL, '
    'PRIMARY KEY ("workspace_id", "run_id", "seller_id", "channel_id", "month")'
)


def _sqlite(without_rowid: bool) -> list[str]:
    clause = " WITHOUT ROWID" if without_rowid else ""
    return [
        f'CREATE TABLE "planning_cascadeshare_new" ({SQLITE_COLUMNS}){clause}',
        'INSERT INTO "planning_cascadeshare_new" SELECT "month", "amount", "channel_id", '
        '"run_id", "seller_id", "unit_id", "workspace_id" FROM "planning_cascadeshare"',
        'DROP TABLE "planning_cascadeshare"',
        'ALTER TABLE "planning_cascadeshare_new" RENAME TO "planning_cascadeshare"',
    ]


def _run(postgresql: list[str], sqlite: list[str]):
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        for sql in {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_initial")]

    operations = [
        migrations.RunPython(_run(FORWARD, _sqlite(True)), _run(BACKWARD, _sqlite(False)))
    ]
