"""The partial index of the sales in another currency keyed by workspace alone (issue 19).

Keeping (workspace, currency, month) up was the whole extra cost of an import in ten currencies
over one in the workspace currency: a descent with collated text comparisons per foreign row.
Keyed by the workspace alone, an import's entries share one key and arrive in heap order: they
go to the end of that key's run, deduplicated. Its readers keep their plans: a workspace with no
foreign sale reads nothing; one with many scans by date or whole, as they already did.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0010_merge_0009_membership_partner_0009_workspace_keys'),
        ('sales', '0013_merge_0012_lean_keys_0012_seller_running_total'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='sale',
            name='sale_ws_foreign',
        ),
        migrations.AddIndex(
            model_name='sale',
            index=models.Index(condition=models.Q(('currency', ''), _negated=True), fields=['workspace'], name='sale_ws_foreign_only'),
        ),
    ]
