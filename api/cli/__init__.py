"""The `sipas` command line."""
