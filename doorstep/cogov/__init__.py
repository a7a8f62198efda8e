"""Co-governance (共建共治): co-building units, the three lists (需求清单, 资源清单, 项目清单)
and matching needs with resources (供需对接)."""
