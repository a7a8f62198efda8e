"""Population counters (人口统计计数) per organisation, kept with every change to a resident.

One row per (organisation, dimension, key): how many residents of the node's subtree have
that residence type, sex, birth date or vulnerable-group tag, and how many party members
live there; and the subtree's households by tenure and how many are linked (联户). Every ancestor of the
resident's grid gets the same increment (as the case rollups do), so a node's figures are
a read of its own few rows — and the tags, stored encrypted on the resident, are counted
without decrypting anything on page load. See tallies.py for how they are kept and checked.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    TYPE = "type", _("人口类型")
    SEX = "sex", _("性别")
    BORN = "born", _("出生日期")
    MONTH = "month", _("出生年月")  # the same people by month: age bands read these
    TAG = "tag", _("重点人群")
    MEMBER = "member", _("党员")  # key "": party members living in the subtree
    TENURE = "tenure", _("居住性质")  # households by tenure (places.Tenure)
    LINKED = "linked", _("联户")  # key "": households kept in touch by a central household


class PopulationTally(models.Model):
    # No index of its own: the unique index leads with it, and a separate one would tempt
    # PostgreSQL to scan all of a district's rows instead of seeking (organisation, dimension,
    # key) ranges (35 ms against 3 ms on the district preset).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="population_tallies",
        db_index=False,
    )
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    # The value counted: a residence type, "M"/"F"/"" (unknown), an ISO date or "" (unknown
    # birth date), "YYYY-MM" (known birth dates by month), a tag code. ISO dates sort as
    # text, so "born on or before D" is a key range: the months before D's month plus the
    # days of D's month up to D (a district holds ~30,000 birth dates but ~1,200 months).
    key = models.CharField(max_length=32)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("人口统计计数")
        verbose_name_plural = _("人口统计计数")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dimension", "key"], name="population_tally_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.dimension}={self.key}: {self.n}"
