"""Appending a camera to the site file: comments kept, result re-validated, no password ever written."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.config import ConfigError, load_site, parse_site
from console.site_writer import (
    NewCamera,
    append_camera,
    camera_table,
    strip_userinfo,
    toml_string,
    with_camera,
)

SITE = """# 测试大学 site file — hand-written, with comments that must survive
[site]
name = "测试大学"   # trailing comment
timezone = "Asia/Shanghai"

[[campuses]]
id = "east"
name = "东校区"

[[cameras]]
id = "cam-lib"
name = "图书馆"
campus = "east"
main_url = "rtsp://127.0.0.1:8554/lib"

# the last line has no newline"""


def camera(**overrides: object) -> NewCamera:
    values: dict[str, object] = {
        "id": "cam-new", "name": "新 摄像机 \"东门\"", "campus": "east", "location": "东门 岗亭",
        "host": "127.0.0.1", "port": 8080, "credential": "onvif-cam-new", "ptz": True,
        "main_url": "rtsp://127.0.0.1:554/main", "sub_url": "rtsp://127.0.0.1:554/sub",
        "snapshot_url": "http://127.0.0.1:8080/snap.jpg",
    }
    values.update(overrides)
    return NewCamera(**values)  # type: ignore[arg-type]


def test_append_keeps_the_text_and_comments_and_parses(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    site = append_camera(path, camera())
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SITE)  # every byte of the original, comments included
    assert "# trailing comment" in text
    new = site.device("cam-new")
    assert new is not None and new.ptz is True and new.credential == "onvif-cam-new"
    assert new.onvif is not None and (new.onvif.host, new.onvif.port) == ("127.0.0.1", 8080)
    assert new.name == '新 摄像机 "东门"' and new.location == "东门 岗亭"
    assert new.main_url == "rtsp://127.0.0.1:554/main" and new.sub_url == "rtsp://127.0.0.1:554/sub"
    assert "# snapshot_url = \"http://127.0.0.1:8080/snap.jpg\"" in text
    assert load_site(path).device("cam-new") == new


def test_a_duplicate_id_is_refused_and_the_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    with pytest.raises(ConfigError, match="already used"):
        append_camera(path, camera(id="cam-lib"))
    assert path.read_text(encoding="utf-8") == SITE
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_an_unknown_campus_is_refused_with_the_parser_message(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    with pytest.raises(ConfigError, match="campus"):
        append_camera(path, camera(campus="north"))
    assert path.read_text(encoding="utf-8") == SITE


def test_a_url_with_a_password_is_refused_by_the_parser() -> None:
    with pytest.raises(ConfigError, match="password"):
        with_camera(SITE, camera(main_url="rtsp://admin:secret@127.0.0.1/main"))


def test_a_bom_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SITE.encode("utf-8"))
    append_camera(path, camera())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf# ")
    assert load_site(path).device("cam-new") is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:pw@10.0.0.5:554/Streaming/101", "rtsp://10.0.0.5:554/Streaming/101"),
        ("rtsp://user@10.0.0.5/x?a=1", "rtsp://10.0.0.5/x?a=1"),
        ("rtsp://10.0.0.5/x", "rtsp://10.0.0.5/x"),
        ("http://a:b@[::1]:80/snap", "http://[::1]:80/snap"),
        (None, None),
        ("", None),
    ],
)
def test_strip_userinfo(url: str | None, expected: str | None) -> None:
    assert strip_userinfo(url) == expected


# What RFC 3986 allows in userinfo unencoded (unreserved and sub-delims; ':' only as the separator).
_USERINFO = st.text(alphabet="abcXYZ0189-._~!$&'()*+,;=%", min_size=1, max_size=12)


@given(user=_USERINFO, password=_USERINFO, path=st.text(max_size=20))
def test_strip_userinfo_never_keeps_a_password(user: str, password: str, path: str) -> None:
    url = f"rtsp://{user}:{password}@10.0.0.5:554/{path}"
    stripped = strip_userinfo(url)
    assert stripped is not None and "@10.0.0.5" not in stripped
    assert stripped.startswith("rtsp://10.0.0.5:554/")


@given(st.text(max_size=60))
def test_strip_userinfo_takes_any_text(text: str) -> None:
    stripped = strip_userinfo(text)
    assert stripped is None or isinstance(stripped, str)


@given(st.text(max_size=60))
def test_toml_string_round_trips_any_text(value: str) -> None:
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


@given(
    name=st.text(min_size=1, max_size=30),
    location=st.text(max_size=30),
    port=st.integers(1, 65535),
    ptz=st.booleans(),
)
def test_any_field_values_give_a_table_that_parses_back(
    name: str, location: str, port: int, ptz: bool
) -> None:
    new = camera(name=name, location=location, port=port, ptz=ptz)
    text, site = with_camera(SITE, new)
    cam = site.device("cam-new")
    assert cam is not None and cam.name == name and cam.location == location and cam.ptz is ptz
    assert cam.onvif is not None and cam.onvif.port == port
    assert parse_site(text).device("cam-new") == cam
    assert camera_table(new) in text
