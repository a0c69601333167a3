"""Route, security and database tests of the web app."""
