"""cskpi: customer-service performance appraisal for e-commerce shops."""

__version__ = "0.1.0"
