"""Helpers shared by the subcommands: resolving the site, the data directory and logging."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from console.config import ConfigError, Site, load_site
from console.paths import default_data_dir, demo_site_path


class UsageError(Exception):
    """Wrong use of the command line; printed with exit code 2."""


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir(demo=args.demo)


def site_path(args: argparse.Namespace) -> Path:
    if args.config:
        return Path(args.config)
    if args.demo:
        return demo_site_path()
    raise UsageError("no site file: pass --config SITE.toml (or --demo for the built-in demo site)")


def load(args: argparse.Namespace) -> Site:
    """Load and validate the site; a ConfigError propagates with every problem listed."""
    return load_site(site_path(args))


def site_text(args: argparse.Namespace) -> str:
    """The site file's text, so the engine can audit a changed configuration."""
    return site_path(args).read_text(encoding="utf-8")


def setup_logging(verbose: int, log_file: Path | None = None) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    fmt = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, handlers=handlers, force=True)


__all__ = ["ConfigError", "UsageError", "data_dir", "load", "setup_logging", "site_path", "site_text"]
