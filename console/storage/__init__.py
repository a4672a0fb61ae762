"""SQLite storage: the single writer thread, migrations and read queries."""
