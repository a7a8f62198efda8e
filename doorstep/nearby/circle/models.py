"""Road networks (imported from OSM) and stored coverage runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoadNetwork(models.Model):
    """A walkable road network for a street or district; its arrays live in RoadNetworkData."""

    name = models.CharField(_("名称"), max_length=100)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    node_count = models.PositiveIntegerField(_("节点数"), default=0)
    edge_count = models.PositiveIntegerField(_("路段数"), default=0)
    dropped_nodes = models.PositiveIntegerField(_("不连通而舍弃的节点数"), default=0)
    # [south, west, north, east]
    bbox = models.JSONField(_("范围"), default=list)
    walking_speed_kmh = models.FloatField(_("步行速度（公里/小时）"), default=4.5)
    minutes = models.PositiveSmallIntegerField(_("服务圈（分钟）"), default=15)

    class Meta:
        verbose_name = _("路网")
        verbose_name_plural = _("路网")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class RoadNetworkData(models.Model):
    """The arrays of a network as one uncompressed .npz blob (see doorstep.nearby.circle.store).

    Kept apart from RoadNetwork so listing networks never reads the blob."""

    network = models.OneToOneField(
        RoadNetwork, on_delete=models.CASCADE, primary_key=True, related_name="data"
    )
    npz = models.BinaryField()

    class Meta:
        verbose_name = _("路网数据")
        verbose_name_plural = _("路网数据")

    def __str__(self) -> str:
        return f"{self.network_id}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class CoverageRun(models.Model):
    """One computed coverage: who is within the walking budget of which site.

    Requested from the circle page, a run is stored as queued and filled in by the
    background job (queue "geo"); seeding and commands compute one directly."""

    network = models.ForeignKey(
        RoadNetwork, verbose_name=_("路网"), on_delete=models.CASCADE, related_name="runs"
    )
    created_at = models.DateTimeField(_("计算时间"), auto_now_add=True)
    minutes = models.FloatField(_("服务圈（分钟）"))
    walking_speed_kmh = models.FloatField(_("步行速度（公里/小时）"))
    label = models.CharField(_("说明"), max_length=100, blank=True)
    sites = models.JSONField(_("站点"), default=list)  # [[site_id, lat, lon], …]
    summary = models.JSONField(_("汇总"), default=dict)  # totals, per grid, per community
    # Per building, as parallel lists: {"id": [...], "minutes": [... or null],
    # "site": [... or null], "covered": [...], "far": [...]}
    buildings = models.JSONField(_("楼栋结果"), default=dict)
    elapsed_ms = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("状态"), max_length=8, choices=RunStatus.choices, default=RunStatus.DONE
    )
    kinds = models.JSONField(_("阵地类型"), default=list, blank=True)
    error = models.CharField(_("失败原因"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("覆盖计算")
        verbose_name_plural = _("覆盖计算")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.network} {self.created_at:%Y-%m-%d %H:%M}"
