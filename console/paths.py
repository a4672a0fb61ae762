"""Where the console keeps its data: the platform's user data folder unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "campus-console"


def default_data_dir(*, demo: bool = False) -> Path:
    base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    # The demo keeps its own database so a real site's records never mix with scripted ones.
    return base / "demo" if demo else base


def demo_site_path() -> Path:
    from importlib.resources import files

    return Path(str(files("resources").joinpath("demo", "site.toml")))
