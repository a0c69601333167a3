"""The app database: models, engine and migrations."""
