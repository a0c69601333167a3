"""Parts of the web access matrix (tests/web/test_access.py), one module per page area:
``GET`` and ``POST`` (the shapes of test_access's ``GET_MATRIX`` and ``POST_MATRIX``) and
optionally ``COVERED_ELSEWHERE``.  test_access merges every module of this package."""
