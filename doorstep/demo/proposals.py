"""居民提议 on the 学院路 demo: the demo residents' proposals for their community, supported
by the demo's resident, party member and volunteer (who live there), one taken up by the
community as a participatory project and one answered; through `doorstep.cogov.proposals`."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import proposals
from doorstep.cogov.models import Proposal

from .common import Log

# title, summary, supporters (demo logins), what the community did
IDEAS = (
    ("小区口装一组快递柜", "老人取件不用再跑到驿站，骑手也省时间", ("resident", "member", "volunteer"), "adopt"),
    ("楼道加装扶手", "老楼没有电梯，上下楼扶着更安全", ("resident", "member"), ""),
    ("广场舞时间往后推半小时", "晚饭后七点半再开始，减少对低楼层的影响", ("volunteer",), "decline"),
)  # fmt: skip


def seed_proposals(street: Organisation, log: Log) -> None:
    if Proposal.objects.filter(path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    resident, staff = users.get("resident"), users.get("community")
    if resident is None or staff is None or proposals.home_community(resident) is None:
        return
    today = timezone.localdate()
    made = 0
    for title, summary, supporters, outcome in IDEAS:
        proposal = proposals.propose(actor=resident, title=title, summary=summary)
        for name in supporters:
            if name in users and proposals.lives_in(users[name], proposal):
                proposal = proposals.support(actor=users[name], proposal=proposal)
        if outcome == "adopt":
            proposals.adopt(
                actor=staff, proposal=proposal, starts_on=today,
                ends_on=today + dt.timedelta(days=90),
            )  # fmt: skip
        elif outcome == "decline":
            proposals.decline(
                actor=staff, proposal=proposal, reason="已与广场舞队协商调整，无需立项"
            )
        made += 1
    log(f"  居民提议 {made} 条，其中立为参与式治理项目 1 个")
