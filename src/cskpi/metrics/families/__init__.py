"""The catalog's families: one module per kind of input, each with the queries that give
the fields its metrics declare (:mod:`cskpi.metrics.catalog`).

- :mod:`.service`: sessions, rounds, session facts and rollups (families ``service``,
  ``customers``, ``first_responses``);
- :mod:`.sales`: order credit, sales, the shop's paid orders, refunded orders,
  conversion (``sales``, ``shop_orders``, ``orders_refunded``);
- :mod:`.aftersale`: refunds, disputes, complaints, reviews;
- :mod:`.attendance`: attendance rows and online hours;
- :mod:`.common`: periods, grouping and time arithmetic they share.
"""
