"""Retire the ``period_close`` schedule kind: ``period_review`` does its work (it asks the
sellers below their objective for a review after a quarter closes, then reminds them)."""

from django.db import migrations


def remove_period_close(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("jobs", "ScheduleRun").objects.filter(kind="period_close").delete()
    apps.get_model("jobs", "Schedule").objects.filter(kind="period_close").delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_backgroundjob")]

    operations = [migrations.RunPython(remove_period_close, migrations.RunPython.noop)]
