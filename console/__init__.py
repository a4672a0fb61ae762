"""Campus Console engine: domain, services, storage and the driver host, free of Qt."""

__version__ = "0.1.0"
