"""联户走访 becomes the one visit model (`Visit`): a kind, a place for visits that are not to
a linked household (三结三问), the questions asked; existing rows are household visits."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0005_dual_report"),
        ("organisations", "0001_initial"),
        ("people", "0001_initial"),
        ("places", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("HouseholdVisit", "Visit"),
        migrations.RenameField("visit", "grid_path", "path"),
        migrations.AlterModelOptions(
            name="visit",
            options={
                "ordering": ["-visited_on", "-id"],
                "verbose_name": "走访",
                "verbose_name_plural": "走访",
            },
        ),
        migrations.AddField(
            model_name="visit",
            name="kind",
            field=models.CharField(
                choices=[("household", "联户走访"), ("cadre", "三结三问")],
                default="household",
                max_length=12,
                verbose_name="走访类型",
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="asks",
            field=models.JSONField(blank=True, default=list, verbose_name="问需/问计/问效"),
        ),
        migrations.AddField(
            model_name="visit",
            name="node",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisations.organisation",
                verbose_name="走访地点",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="central",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to="people.centralhousehold",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="household",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to="places.household",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="visitor",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "household"), _negated=True)
                | models.Q(("central__isnull", False), ("household__isnull", False)),
                name="household_visit_has_its_household",
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "cadre"), _negated=True)
                | models.Q(("node__isnull", False)),
                name="cadre_visit_has_a_place",
            ),
        ),
    ]
