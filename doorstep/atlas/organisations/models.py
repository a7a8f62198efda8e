"""The organisation tree (组织树): administrative units and party organisations in one tree.

Party units sit under the territory they cover (a grid branch under its grid, a community
party committee under its community), and point at their party superior via `party_parent`.
A materialised `path` ("/1/5/23/") makes "everything under this node" one indexed prefix
query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.core.access import ScopedQuerySet


class Kind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    DEPARTMENT = "department", _("职能部门")
    CO_BUILDING = "co_building", _("共建单位")
    WORKING_COMMITTEE = "working_committee", _("街道党工委")
    PARTY_COMMITTEE = "party_committee", _("社区党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    GRID_BRANCH = "grid_branch", _("网格党支部")
    COMPOUND_BRANCH = "compound_branch", _("小区党支部")
    PARTY_GROUP = "party_group", _("党小组")
    BUILDING_GROUP = "building_group", _("楼栋党小组")
    CENTRAL_HOUSEHOLD = "central_household", _("党员中心户")


ADMIN_KINDS = frozenset({Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY, Kind.GRID})
PARTY_KINDS = frozenset(
    {
        Kind.WORKING_COMMITTEE,
        Kind.PARTY_COMMITTEE,
        Kind.GENERAL_BRANCH,
        Kind.GRID_BRANCH,
        Kind.COMPOUND_BRANCH,
        Kind.PARTY_GROUP,
        Kind.BUILDING_GROUP,
        Kind.CENTRAL_HOUSEHOLD,
    }
)
BRANCH_KINDS = frozenset({Kind.GRID_BRANCH, Kind.COMPOUND_BRANCH})

# Which kinds may sit directly under which (placement in the tree = territory covered).
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    Kind.DISTRICT: frozenset({Kind.STREET, Kind.DEPARTMENT, Kind.CO_BUILDING}),
    Kind.STREET: frozenset(
        {Kind.COMMUNITY, Kind.WORKING_COMMITTEE, Kind.DEPARTMENT, Kind.CO_BUILDING}
    ),
    Kind.COMMUNITY: frozenset(
        {
            Kind.GRID,
            Kind.PARTY_COMMITTEE,
            Kind.GENERAL_BRANCH,
            Kind.COMPOUND_BRANCH,
            Kind.CO_BUILDING,
        }
    ),
    Kind.GRID: frozenset(
        {Kind.GRID_BRANCH, Kind.PARTY_GROUP, Kind.BUILDING_GROUP, Kind.CENTRAL_HOUSEHOLD}
    ),
}


class OrganisationQuerySet(ScopedQuerySet["Organisation"]):
    scope_paths = ("path",)
    node_field = "pk"
    # "cockpit": a node's figures, which carry no personal data: the scope alone decides
    # (cockpit/access.py).
    permissions = {"cockpit": None}

    def under(self, org: Organisation, include_self: bool = True) -> OrganisationQuerySet:
        qs = self.filter(path__startswith=org.path)
        return qs if include_self else qs.exclude(pk=org.pk)

    def of_kind(self, *kinds: str) -> OrganisationQuerySet:
        return self.filter(kind__in=kinds)

    # SELF scopes (residents, party members) see records, not the tree (no `own`).


class Organisation(models.Model):
    """A node of the tree: street, community, grid, party organisation, department …"""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices, db_index=True)
    code = models.CharField(_("编码"), max_length=40, unique=True, null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级（所辖区域）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    party_parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    secretary = models.CharField(_("负责人/书记"), max_length=64, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    outline = models.JSONField(_("边界"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        constraints = [
            # 支部建在网格上: one grid branch per grid.
            models.UniqueConstraint(
                fields=["parent"],
                condition=Q(kind="grid_branch"),
                name="one_grid_branch_per_grid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_party(self) -> bool:
        return self.kind in PARTY_KINDS

    @property
    def territory(self) -> Organisation | None:
        """The administrative unit a party organisation covers (where it sits in the tree)."""
        return self.parent if self.is_party else None

    def ancestors(self) -> OrganisationQuerySet:
        ids = [int(x) for x in self.path.strip("/").split("/") if x]
        return Organisation.objects.filter(pk__in=ids).order_by("depth")
