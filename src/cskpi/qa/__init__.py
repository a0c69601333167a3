"""Chat quality inspection (质检): rules files, the engine that checks every session, and
session scores.

- :mod:`.models`: the rules as typed data (:class:`QaRules`, :class:`Rule`);
- :mod:`.loader`: YAML with line numbers, every problem at once, presets by name;
- :mod:`.text`: folding, phrase alternations, the emotion lexicon (jieba);
- :mod:`.engine`: hits and session scores on a workspace (DuckDB), per period;
- :mod:`.review`: the review queue of a period, by the rules' sampling plan;
- :mod:`.schemes`: schemes scoring on QA figures (a scheme's ``qa:``).
"""

from .loader import load, load_rules, load_rules_file, preset_names, resolve
from .models import QaRules, RubricItem, Rule, Sampling

__all__ = ["QaRules", "RubricItem", "Rule", "Sampling", "load", "load_rules",
           "load_rules_file", "preset_names", "resolve"]
