"""The after-sale scheme of the spec (shared/spec/schemes.md), as the shipped preset
aftersale-4crown has it without its comment lines: tests/unit/test_scheme_loader.py
loads it, tests/golden/test_scoring.py compares it with the preset."""

from __future__ import annotations

AFTERSALE = """\
scheme: aftersale-4crown
title: 售后客服考核 (四皇冠店铺)
applies_to: {role: aftersale}
pass_ratio: 0.70                    # below 70 % of max: no KPI bonus
items:
  - key: quality                    # 售后客服素质: from reviewed chat records
    label: 售后客服素质
    max: 20
    grade: {A: 20, B: 15, C: 10, D: 0}      # 优 良 中 差
  - key: refund_rate
    label: 退款率
    max: 30
    metric: refund_rate
    tiers:                          # upper bounds inclusive, first match wins
      - {max: 0.05, points: 30}     # ≤ 5 %
      - {max: 0.08, points: 20}     # 5 % < x ≤ 8 %
      - {max: 0.11, points: 10}     # 8 % < x ≤ 11 %
      - {points: 0}                 # above 11 %
  - {key: disputes, label: 投诉维权纠纷处理, max: 20, grade: {A: 20, B: 15, C: 10, D: 0}}
  - {key: cooperation, label: 配合度, max: 20, grade: {A: 20, B: 15, C: 10, D: 0}}
  - {key: execution, label: 执行力, max: 20, grade: {A: 20, B: 15, C: 10, D: 0}}
  - key: attendance
    label: 出勤率
    max: 20
    start: 20                       # full attendance
    per: {late: -5, leave: -5, absent: -10}
    min: 0
adjustments:                        # outside the items, may move the score past max
  - {event: low_quality_review, points: -5}          # 低质评价, each
  - {event: complaint, points: {min: -20, max: -5}}  # 客户投诉 (verified), """ \
    """manager sets within range
  - {event: praise, points: 2}                       # 客户表扬
  - {event: outstanding, points: {min: 2, max: 5}}   # 表现突出
pay:
  base: {by_level: {junior: 2000, senior: 2500, lead: 3000}}
  kpi_bonus: {pool: 1000, formula: "pool * score / max_score", requires_pass: true}
"""
