"""Lost inquiries (询单流失): who asked and did not buy, why, and how conversion varies
with how the chat went.

- :mod:`.taxonomy`: the reasons and their keywords (YAML, checked all at once);
- :mod:`.matcher`: word-level keyword matching (jieba for Chinese);
- :mod:`.inquiries`: the period's inquiries and lost customers, as queries;
- :mod:`.classify`: the rule that gives each lost inquiry its reason, relabels, counts;
- :mod:`.curve`: conversion by duration, rounds or first response, with Wilson intervals.

:class:`cskpi.shop.Shop` drives them for the CLI and the web app.
"""

from .classify import LostInquiry, LostQuery, lost_inquiries, summary
from .curve import DIMENSIONS, parse_edges, wilson
from .matcher import KeywordMatcher
from .taxonomy import Taxonomy, TaxonomyInvalid, TaxonomyIssue, load_taxonomy, read_taxonomy

__all__ = ["DIMENSIONS", "KeywordMatcher", "LostInquiry", "LostQuery", "Taxonomy",
           "TaxonomyInvalid", "TaxonomyIssue", "load_taxonomy", "lost_inquiries",
           "parse_edges", "read_taxonomy", "summary", "wilson"]
