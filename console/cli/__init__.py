"""The `campus-console` command line: the GUI by default, subcommands for everything headless."""
