"""Housing (房屋): compounds, buildings, units and households, each inside a grid."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.atlas.organisations.models import Organisation
from doorstep.core.access import ScopedQuerySet


class CompoundQuerySet(ScopedQuerySet["Compound"]):
    # A compound is seen by its community's subtree and by whoever sees one of its
    # buildings (a grid worker whose grid covers part of it).
    scope_paths = ("community__path", "buildings__grid__path")
    joins_many = True


class Compound(models.Model):
    """A residential compound (小区), e.g. 静淑苑."""

    name = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey(
        Organisation, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="compounds"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    osm_id = models.BigIntegerField(null=True, blank=True, unique=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    outline = models.JSONField(_("边界"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")

    objects = CompoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    MIXED = "mixed", _("商住")
    PUBLIC = "public", _("公共建筑")
    OTHER = "other", _("其他")


class BuildingQuerySet(ScopedQuerySet["Building"]):
    scope_paths = ("grid__path",)


class Building(models.Model):
    """A building (楼栋) in a grid, optionally inside a compound."""

    name = models.CharField(_("楼栋名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Organisation,
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"kind": "grid"},
    )
    compound = models.ForeignKey(
        Compound,
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )
    party_group = models.ForeignKey(
        Organisation,
        verbose_name=_("楼栋党小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_buildings",
        limit_choices_to={"kind": "building_group"},
    )
    use = models.CharField(
        _("用途"), max_length=16, choices=BuildingUse.choices, default=BuildingUse.RESIDENTIAL
    )
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    osm_id = models.BigIntegerField(null=True, blank=True, unique=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    outline = models.JSONField(_("轮廓"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["grid_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="building_name_unique_in_grid")
        ]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(ScopedQuerySet["Unit"]):
    scope_paths = ("building__grid__path",)


class Unit(models.Model):
    """A stairway/entrance of a building (单元)."""

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="units"
    )
    number = models.CharField(_("单元"), max_length=20)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_unique_in_building")
        ]

    def __str__(self) -> str:
        return f"{self.building.name}{self.number}"


class Tenure(models.TextChoices):
    OWNER = "owner", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")
    OTHER = "other", _("其他")


class AreaSource(models.TextChoices):
    """Where a part's floor area comes from, in the order the SPC's interpretation on
    建筑物区分所有权 (第八条) takes them: the register, else a survey, else the contract."""

    REGISTERED = "registered", _("不动产登记")
    SURVEYED = "surveyed", _("实测")
    CONTRACT = "contract", _("买卖合同")


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    scope_paths = ("grid__path",)
    joins_many = True

    def own(self, user: Any) -> Q:
        # Residents see their own home; a party central household also sees the
        # households it keeps in touch with (党员联户).
        return Q(residents__user=user) | Q(link__central__keeper__resident__user=user)


class Household(models.Model):
    """A dwelling (户): a room in a unit of a building."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("单元"), on_delete=models.PROTECT, related_name="households"
    )
    room = models.CharField(_("门牌/室号"), max_length=20)
    # Kept equal to unit.building.grid by the services that move households; it lets scope
    # filters and counts use one join instead of three.
    grid = models.ForeignKey(
        Organisation,
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="households",
        editable=False,
    )
    tenure = models.CharField(
        _("居住性质"), max_length=16, choices=Tenure.choices, default=Tenure.OWNER
    )
    # The housing register (房屋登记) of the exclusive part (专有部分), for owners' votes:
    # area in 0.01 m² (an integer, so thresholds compare exactly), where it comes from, and
    # whether the developer still holds it (unsold or undelivered).
    area = models.PositiveIntegerField(_("专有部分面积（0.01㎡）"), null=True, blank=True)
    # (defaults in the database too: the ledger import and the demo write rows by COPY)
    area_source = models.CharField(
        _("面积依据"),
        max_length=12,
        choices=AreaSource.choices,
        blank=True,
        default="",
        db_default="",
    )
    developer_held = models.BooleanField(_("建设单位未售或未交付"), default=False, db_default=False)
    search_text = models.TextField(editable=False, default="")

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["unit_id", "room"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "room"], name="household_unique_in_unit")
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        b = self.unit.building
        return f"{b.name}{self.unit.number}{self.room}室"


class FeatureKind(models.TextChoices):
    ROAD = "road", _("道路")
    BUILDING = "building", _("建筑")
    WATER = "water", _("水系")
    GREEN = "green", _("绿地")
    RESIDENTIAL = "residential", _("居住区")
    CAMPUS = "campus", _("园区")
    RAIL = "rail", _("铁路")


class MapFeatureQuerySet(ScopedQuerySet["MapFeature"]):
    """The basemap is public geography (roads, outlines, water, green): any signed-in
    person sees all of it; it names no household and no person."""

    permissions = {"view": None}

    def always(self, user: Any) -> Q | None:
        return Q(pk__isnull=False)


class MapFeature(models.Model):
    """One shape of the offline basemap (底图), drawn under every map of the platform: from
    an OpenStreetMap extract (`import_basemap`) or the synthetic district's lattice."""

    source = models.CharField(_("来源"), max_length=100, db_index=True)
    kind = models.CharField(_("类别"), max_length=16, choices=FeatureKind.choices)
    # drawing order and width within a kind: 0 = main road / large area … 3 = footpath
    rank = models.PositiveSmallIntegerField(_("等级"), default=2)
    name = models.CharField(_("名称"), max_length=200, blank=True)
    closed = models.BooleanField(_("面状"), default=False)
    points = models.JSONField(_("坐标"))  # [[lat, lon], ...]
    south = models.FloatField()
    west = models.FloatField()
    north = models.FloatField()
    east = models.FloatField()

    objects = MapFeatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("底图要素")
        verbose_name_plural = _("底图要素")
        indexes = [models.Index(fields=["south", "west"], name="mapfeature_corner")]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()
