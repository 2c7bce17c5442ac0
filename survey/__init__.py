"""Application core: settings, database, tables and the use cases of the SIPAS platform."""
