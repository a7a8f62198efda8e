"""Residents (居民), party members (党员) and household links (党员联户)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Household
from doorstep.core.access import ScopedQuerySet
from doorstep.core.crypto import EncryptedJSONField, EncryptedTextField


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("户籍")
    FLOATING = "floating", _("流动")
    TENANT = "tenant", _("租住")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    OTHER = "other", _("其他")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


# Vulnerable-group tags (重点人群). Stored encrypted with the resident.
VULNERABLE_TAGS: list[tuple[str, str]] = [
    ("elderly_alone", "独居老人"),
    ("empty_nest", "空巢老人"),
    ("disabled", "残疾人"),
    ("subsistence", "低保"),
    ("left_behind_child", "留守儿童"),
    ("veteran", "退役军人"),
    ("serious_illness", "大病"),
    ("special_hardship", "特困"),
]
TAG_LABELS = dict(VULNERABLE_TAGS)


class ResidentQuerySet(ScopedQuerySet["Resident"]):
    scope_paths = ("grid__path",)
    joins_many = True

    def own(self, user: Any) -> Q:
        # Themselves, and for a party central household the residents it keeps in touch with.
        return Q(user=user) | Q(household__link__central__keeper__resident__user=user)


class Resident(models.Model):
    """A person living in (or registered at) a household of the street."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residents"
    )
    grid = models.ForeignKey(
        Organisation,
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="residents",
        editable=False,
    )
    name = models.CharField(_("姓名"), max_length=64)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_card = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_card_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    residence_type = models.CharField(
        _("人口类型"), max_length=16, choices=ResidenceType.choices, db_index=True
    )
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    tags = EncryptedJSONField(_("重点人群标签"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = models.TextField(editable=False, default="")

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household_id", "id"]
        permissions = [
            ("unmask_personal_data", "查看身份证号和电话明文"),
            ("import_ledger", "导入台账"),
            ("export_ledger", "导出台账"),
        ]
        indexes = [models.Index(fields=["grid", "residence_type"])]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_labels(self) -> list[str]:
        return [TAG_LABELS.get(t, t) for t in (self.tags or [])]


class HoldingRole(models.TextChoices):
    OWNER = "owner", _("业主")
    PROXY = "proxy", _("委托代理人")


class HoldingQuerySet(ScopedQuerySet["Holding"]):
    scope_paths = ("household__grid__path",)

    def own(self, user: Any) -> Q:
        return Q(resident__user=user)


class Holding(models.Model):
    """Who holds an exclusive part (a household's home) for owners' matters: its owners (a
    part owned jointly counts as one owner) and a registered proxy (委托代理人) who may vote
    in their stead. Tenants are never holders."""

    household = models.ForeignKey(
        Household, verbose_name=_("专有部分"), on_delete=models.CASCADE, related_name="holdings"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("业主/代理人"), on_delete=models.CASCADE, related_name="holdings"
    )
    role = models.CharField(_("身份"), max_length=8, choices=HoldingRole.choices)
    since = models.DateField(_("登记日期"), null=True, blank=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        verbose_name = _("业主登记")
        verbose_name_plural = _("业主登记")
        ordering = ["household_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "resident"], name="holding_once_per_part_and_person"
            ),
            models.UniqueConstraint(
                fields=["household"], condition=Q(role="proxy"), name="holding_one_proxy"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.household_id}"


class PartyStatus(models.TextChoices):
    FORMAL = "formal", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")
    ACTIVIST = "activist", _("入党积极分子")


class PartyMemberQuerySet(ScopedQuerySet["PartyMember"]):
    scope_paths = ("resident__grid__path",)

    def own(self, user: Any) -> Q:
        return Q(resident__user=user)


class PartyMember(models.Model):
    """A party member living here, with where their organisation relationship (组织关系) is.

    In-service members (在职党员) keep their relationship at their work unit and report to
    their residential community (双报到); `reported_community` records that.
    """

    resident = models.OneToOneField(
        Resident, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="party_member"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("组织关系所在党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_members",
    )
    external_organisation = models.CharField(
        _("组织关系所在单位（辖区外）"), max_length=100, blank=True
    )
    status = models.CharField(_("政治面貌"), max_length=16, choices=PartyStatus.choices)
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    in_service = models.BooleanField(_("在职党员"), default=False)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    reported_community = models.ForeignKey(
        Organisation,
        verbose_name=_("双报到社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_members",
        limit_choices_to={"kind": "community"},
    )
    reported_on = models.DateField(_("报到日期"), null=True, blank=True)
    mobile = models.BooleanField(_("流动党员"), default=False)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(external_organisation=""),
                name="party_member_has_relationship",
            ),
            models.CheckConstraint(
                condition=Q(reported_community__isnull=True) | Q(in_service=True),
                name="only_in_service_members_report",
            ),
        ]

    def __str__(self) -> str:
        return self.resident.name


class CentralHousehold(models.Model):
    """A party central household (党员中心户): a member's home that keeps in touch with
    the households around it. Its node in the tree is `organisation`."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="central_household",
        limit_choices_to={"kind": "central_household"},
    )
    household = models.OneToOneField(
        Household, verbose_name=_("所在户"), on_delete=models.PROTECT, related_name="+"
    )
    keeper = models.ForeignKey(
        PartyMember, verbose_name=_("中心户党员"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("党员中心户")
        verbose_name_plural = _("党员中心户")

    def __str__(self) -> str:
        return str(self.organisation)


class HouseholdLink(models.Model):
    """A household kept in touch by a central household (联户). One keeper per household."""

    central = models.ForeignKey(CentralHousehold, on_delete=models.CASCADE, related_name="links")
    household = models.OneToOneField(
        Household, verbose_name=_("联系户"), on_delete=models.CASCADE, related_name="link"
    )
    since = models.DateField(_("结对日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("联户关系")
        verbose_name_plural = _("联户关系")

    def __str__(self) -> str:
        return f"{self.central} → {self.household_id}"


class ImportKind(models.TextChoices):
    BUILDINGS = "buildings", _("楼栋清单")
    RESIDENTS = "residents", _("居民台账")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("中断")
    REJECTED = "rejected", _("已拒收")


def _random_name(folder: str, suffix: str) -> str:
    """A ledger file's stored name: random, never a person's file name (which may itself
    hold personal data), under folder/YYYY/MM/."""
    import uuid

    from django.utils import timezone

    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def import_upload_path(instance: Any, filename: str) -> str:
    """Where an uploaded ledger is kept."""
    return _random_name("imports", ".csv" if filename.lower().endswith(".csv") else ".xlsx")


class ImportJobQuerySet(ScopedQuerySet["ImportJob"]):
    """A job's error report quotes the rows of one upload: only its uploader sees it (a
    superuser holds every permission and ALL scope; no role holds `people.view_importjob`
    and no scope path reaches a job)."""

    def always(self, user: Any) -> Q | None:
        return Q(uploaded_by=user)


class ImportJob(models.Model):
    """One upload of a ledger file (台账导入) and how far its import has got.

    Rows are committed in batches; `last_row` is the sheet row number of the last row of
    the last committed batch, written in that batch's transaction, so a run that dies
    continues from there and the counts stay exact.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("文件"), upload_to=import_upload_path, max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("数据行"), default=0)
    # rows the file has below its header, blank ones too (for the progress bar)
    expected = models.PositiveIntegerField(_("文件行数"), default=0, db_default=0)
    imported = models.PositiveIntegerField(_("已导入"), default=0)
    skipped = models.PositiveIntegerField(_("已存在（跳过）"), default=0)
    # rows whose area or 产权身份 changed the housing register (ledger/register.py)
    registered = models.PositiveIntegerField(_("更新房屋登记"), default=0, db_default=0)
    error_count = models.PositiveIntegerField(_("错误行"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    last_row = models.PositiveIntegerField(_("已提交至第几行"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # "host:pid" of the process running it: a run whose process is gone may be continued
    # at once (ledger/importer.py: can_resume).
    worker = models.CharField(_("执行进程"), max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.REJECTED}

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        # `expected` counts blank rows too, `total` does not: the bar may end short of 100
        # until the job finishes.
        return min(99, self.total * 100 // self.expected) if self.expected else 0


class IdentityConflictQuerySet(ScopedQuerySet["IdentityConflict"]):
    """Seen by staff whose scope holds the resident who already has the number: the one
    who tried is told only that the number went for checking (conflicts.py)."""

    scope_paths = ("holder__grid__path",)


class IdentityConflict(models.Model):
    """身份证号冲突: someone tried to register an ID number that a resident outside their
    scope already holds. Nothing was written; staff who can see both sides sort it out
    (a person who moved is moved, a typing error corrected) and close it."""

    class Source(models.TextChoices):
        PAGE = "page", _("页面")
        API = "api", _("接口")
        IMPORT = "import", _("台账导入")

    holder = models.ForeignKey(
        Resident,
        verbose_name=_("已登记的居民"),
        on_delete=models.CASCADE,
        related_name="identity_conflicts",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("拟登记的户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("拟登记的姓名"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.CharField(_("处理说明"), max_length=200, blank=True)

    objects = IdentityConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("身份证号冲突")
        verbose_name_plural = _("身份证号冲突")
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"身份证号冲突 #{self.pk}"


# The population counters live in counters.py; imported here so Django registers them.
from .counters import Dimension, PopulationTally  # noqa: E402, F401


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导出中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def export_file_path(instance: Any, filename: str) -> str:
    """Where a written export waits for its download."""
    return _random_name("exports", ".xlsx")


class ExportJobQuerySet(ScopedQuerySet["ExportJob"]):
    """An export holds personal data for its requester alone: only they see the job and
    download its file (no role holds `people.view_exportjob`; no scope path reaches one)."""

    def always(self, user: Any) -> Q | None:
        return Q(requested_by=user)


class ExportJob(models.Model):
    """A resident ledger export too big for one request (导出居民台账): written in the
    background (core/background.py), its progress shown on its page, its file downloaded
    by its requester and deleted after `EXPORT_KEEP_HOURS`."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    grid = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("范围（网格）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("应导出行数"), default=0)
    done = models.PositiveIntegerField(_("已写入行数"), default=0)
    masked = models.BooleanField(_("脱敏"), default=True)
    file = models.FileField(_("文件"), upload_to=export_file_path, max_length=255, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    worker = models.CharField(_("执行进程"), max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"居民台账导出 #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
