"""The default roles (角色) and what each may do. Admins may change them afterwards.

Three admin duties are kept apart (三员分立): the system admin configures the tree but does
not read personal data in clear; the security admin manages users and roles; the audit
admin reads the audit log. Nobody may edit the audit log.
"""

from __future__ import annotations

from typing import Any

from .models import ScopeKind

_VIEW_MAP = [
    "organisations.view_organisation",
    "places.view_compound",
    "places.view_building",
    "places.view_unit",
    "places.view_household",
    "people.view_resident",
    "people.view_partymember",
    "people.view_holding",
]
# Numbers that collided with a resident out of the registering person's scope (conflicts.py).
_CONFLICTS = ["people.view_identityconflict", "people.change_identityconflict"]
_KEEP_LEDGER = [
    "people.add_resident",
    "people.change_resident",
    "places.change_household",
    "places.add_household",
    # the housing register: owners and proxies of a part (for owners' votes)
    "people.add_holding",
    "people.delete_holding",
    # Grid staff keep the grid's 台账 and may take it out, masked unless they may unmask.
    "people.export_ledger",
]

_CASE_VIEW = ["cases.view_case"]
# Owners' votes: grid staff enter the paper ballots they collect door to door; community
# staff draw up, open and close votes and may see how each part voted (audited).
# Topics, councils and resolutions: grid staff record topics heard on patrol; community
# staff screen them, keep the 1+N councils and their meetings, publish resolutions, answer
# objections and carry resolutions out.
_TOPICS_SEE = [
    "deliberation.view_topic",
    "deliberation.view_resolution",
    "deliberation.view_council",
    "deliberation.view_meeting",
    "deliberation.view_deputy",
    "deliberation.view_receptionslot",
    "deliberation.view_campaign",
    "deliberation.view_survey",
]
_BALLOTS_PAPER = _TOPICS_SEE + [
    "deliberation.add_topic",
    "deliberation.add_response",
    "deliberation.view_response",
    "deliberation.view_ballot",
    "deliberation.add_ballotvote",
]
_BALLOTS_RUN = _BALLOTS_PAPER + [
    "deliberation.change_topic",
    "deliberation.add_council",
    "deliberation.change_council",
    "deliberation.add_meeting",
    "deliberation.change_meeting",
    "deliberation.add_receptionslot",
    "deliberation.view_receptionvisit",
    "deliberation.add_campaign",
    "deliberation.add_survey",
    "deliberation.change_survey",
    "deliberation.add_resolution",
    "deliberation.change_resolution",
    "deliberation.add_ballot",
    "deliberation.change_ballot",
    "deliberation.view_vote_choices",
]
_CASE_HANDLE = ["cases.view_case", "cases.add_case", "cases.handle_case"]
_ACTIVITIES = [
    "activities.view_activity",
    "activities.add_activity",
    "activities.change_activity",
    "activities.check_in_activity",
]
_SITES = [
    "sites.manage_site",
    "sites.approve_booking",
    "sites.view_servicesite",
    "sites.view_room",
    "sites.view_booking",
]
_SERVICE = [
    "service.view_team",
    "service.add_team",
    "service.change_team",
    "service.view_post",
    "service.add_post",
    "service.change_post",
    "service.view_servicerecord",
    "service.approve_servicerecord",
    "service.view_pointline",
    "service.add_reward",
    "service.change_reward",
    "service.add_honourlist",
    "service.view_reward",
    "service.view_pointrule",
    "service.add_pointrule",
    "service.change_pointrule",
    "service.view_theme",
]
# Co-governance lists (cogov): staff keep the needs and resources of their area and match them.
_COGOV_VIEW = [
    "cogov.view_need",
    "cogov.view_resource",
    "cogov.view_match",
    "cogov.view_project",
    "cogov.view_alliance",
    "cogov.view_agreement",
    "cogov.view_seat",
]
_COGOV_KEEP = _COGOV_VIEW + [
    "cogov.view_pairing",
    "service.view_visit",
    "cogov.add_alliance",
    "cogov.change_alliance",
    "cogov.add_agreement",
    "cogov.change_agreement",
    "cogov.add_seat",
    "cogov.change_seat",
    "cogov.change_unitprofile",
    "cogov.add_need",
    "cogov.change_need",
    "cogov.add_resource",
    "cogov.change_resource",
    "cogov.add_match",
    "cogov.change_match",
    "cogov.add_project",
    "cogov.change_project",
]
_CASE_DISPATCH = [
    "cases.view_case",
    "cases.add_case",
    "cases.receive_case",
    "cases.dispatch_case",
    "cases.escalate_case",
    "cases.supervise_case",
    "cases.rate_case",
    "cases.import_hotline",
]

DEFAULT_ROLES: list[dict[str, Any]] = [
    {
        "code": "resident",
        "name": "居民",
        "scope": ScopeKind.SELF,
        "perms": ["people.view_resident", "places.view_household", "people.view_holding"]
        + ["cases.view_case", "cases.add_case", "cases.rate_case"]
        + ["deliberation.view_ballot"]
        + _TOPICS_SEE,
    },
    {
        "code": "grid_worker",
        "name": "网格员",
        "scope": ScopeKind.SUBTREE,
        "perms": _VIEW_MAP
        + _KEEP_LEDGER
        + _CASE_HANDLE
        + ["cases.report_patrol", "cases.escalate_case"]
        + _COGOV_VIEW
        + _BALLOTS_PAPER
        + ["cogov.add_need"],
    },
    {
        "code": "grid_leader",
        "name": "网格长",
        "scope": ScopeKind.SUBTREE,
        "perms": _VIEW_MAP
        + _KEEP_LEDGER
        + ["people.unmask_personal_data"]
        + _CASE_HANDLE
        + ["cases.report_patrol", "cases.escalate_case"]
        + _COGOV_VIEW
        + _BALLOTS_PAPER
        + ["cogov.add_need"],
    },
    {
        "code": "party_member",
        "name": "党员",
        "scope": ScopeKind.SELF,
        "perms": ["people.view_resident", "places.view_household", "people.view_partymember"]
        + _CASE_HANDLE
        + ["cases.claim_case", "cases.rate_case"],
    },
    {
        "code": "volunteer",
        "name": "志愿者",
        "scope": ScopeKind.SELF,
        "perms": ["people.view_resident"] + _CASE_HANDLE + ["cases.claim_case", "cases.rate_case"],
    },
    {
        "code": "community_staff",
        "name": "社区工作人员",
        "scope": ScopeKind.SUBTREE,
        "perms": _VIEW_MAP
        + _KEEP_LEDGER
        + [
            "people.unmask_personal_data",
            "people.import_ledger",
            "people.export_ledger",
            "people.delete_resident",
            "people.add_partymember",
            "people.change_partymember",
            "places.add_building",
            "places.change_building",
        ]
        + _CONFLICTS
        + _CASE_DISPATCH
        + ["cases.handle_case"]
        + _ACTIVITIES
        + _SITES
        + _SERVICE
        + _COGOV_KEEP
        + _BALLOTS_RUN,
    },
    {
        "code": "street_officer",
        "name": "街道干部",
        "scope": ScopeKind.SUBTREE,
        "perms": _VIEW_MAP
        + ["people.export_ledger"]
        + _CONFLICTS
        + _CASE_DISPATCH
        + ["cases.whistle_case"]
        + _ACTIVITIES
        + _SITES
        + _SERVICE
        + _COGOV_KEEP
        + ["cogov.approve_project", "cogov.add_scheme"]
        + ["cogov.add_pairing", "cogov.change_pairing", "cogov.add_pairingoffer"]
        + ["cogov.view_fund", "cogov.add_fund", "cogov.change_fund", "cogov.approve_fund"]
        + ["deliberation.view_ballot"]
        + _TOPICS_SEE
        + ["deliberation.add_deputy", "deliberation.change_deputy"]
        + ["deliberation.add_receptionslot", "deliberation.view_receptionvisit"]
        + ["deliberation.add_campaign"]
        + ["deliberation.add_survey", "deliberation.change_survey", "deliberation.view_response"]
        + ["cockpit.change_indicator"],
    },
    {
        "code": "department_liaison",
        "name": "部门联络员",
        "scope": ScopeKind.NODE,
        "perms": ["organisations.view_organisation"]
        + _CASE_HANDLE
        + ["cases.report_whistle", "sites.manage_site", "sites.approve_booking"]
        # A co-building unit publishes and runs its own activities (its area only), offers
        # its resources and confirms (认领) the matches made with them.
        + _ACTIVITIES
        + _COGOV_VIEW
        + ["cogov.add_resource", "cogov.change_resource", "cogov.confirm_match"]
        + ["cogov.change_unitprofile"]
        + ["cogov.view_pairing", "cogov.add_pairingoffer"],
    },
    {
        # 区、街两级机关干部 linked to a community or grid (联系社区、挂钩网格): the role is
        # held at each linked node for the pairing's term (cogov/pairings.py grants it).
        # They see the area's places and lists, not residents' records, and log 三结三问
        # visits with what came of them: a need on the list, a case.
        "code": "cadre",
        "name": "联系干部",
        "scope": ScopeKind.SUBTREE,
        "perms": ["organisations.view_organisation", "places.view_compound"]
        + ["places.view_building", "cases.add_case"]
        + _COGOV_VIEW
        + ["cogov.add_need", "cogov.view_pairing", "service.add_visit", "service.view_visit"],
    },
    {
        "code": "system_admin",
        "name": "系统管理员",
        "scope": ScopeKind.ALL,
        "staff": True,
        "perms": [
            "organisations.view_organisation",
            "organisations.add_organisation",
            "organisations.change_organisation",
            "places.view_compound",
            "places.add_compound",
            "places.change_compound",
            "places.view_building",
            "places.add_building",
            "places.change_building",
            "cases.view_category",
            "cases.add_category",
            "cases.change_category",
            "sites.manage_site",
            "sites.view_servicekind",
            "cases.view_holidayoverride",
            "cases.add_holidayoverride",
            "cases.change_holidayoverride",
            "cases.delete_holidayoverride",
            # Configuration of people who serve (no personal data): themes, default rules.
            "service.view_theme",
            "service.add_theme",
            "service.change_theme",
            "service.view_pointrule",
            "service.add_pointrule",
            "service.change_pointrule",
        ],
    },
    {
        "code": "security_admin",
        "name": "安全管理员",
        "scope": ScopeKind.ALL,
        "staff": True,
        "perms": [
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.view_role",
            "accounts.change_role",
            "accounts.view_membership",
            "accounts.add_membership",
            "accounts.change_membership",
            "accounts.delete_membership",
            "accounts.view_apitoken",
            "accounts.change_apitoken",
            "open311.view_apikey",
            "open311.add_apikey",
            "open311.change_apikey",
            "organisations.view_organisation",
            # Two-person rules: files requests, decides those of others (approvals.py).
            "accounts.view_approval",
            "accounts.decide_approval",
        ],
    },
    {
        "code": "audit_admin",
        "name": "审计管理员",
        "scope": ScopeKind.ALL,
        "staff": True,
        "perms": ["core.view_auditentry", "accounts.view_approval", "accounts.decide_approval"],
    },
]


def sync_default_roles(sender: Any = None, **kwargs: Any) -> None:
    """Create missing default roles with their permissions (post_migrate; idempotent).

    Existing roles are left as the administrators set them.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission

    from .models import Role

    using = kwargs.get("using", "default")
    # Other apps' permissions may not exist yet at this point of post_migrate.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for spec in DEFAULT_ROLES:
        role, created = Role.objects.using(using).get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "scope": spec["scope"],
                "is_staff_role": spec.get("staff", False),
            },
        )
        if not created:
            continue
        perms = []
        for label in spec["perms"]:
            app_label, codename = label.split(".")
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is None:
                raise LookupError(f"default role {spec['code']} names unknown permission {label}")
            perms.append(perm)
        role.permissions.set(perms)
