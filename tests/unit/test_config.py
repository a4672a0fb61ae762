"""Tests for console.config: site models, error messages with exact lines, secrets, and the example file."""

from __future__ import annotations

import json
import pickle
import re
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from console import config
from console.config import (
    ConfigError,
    ConfigIssue,
    DeviceConfig,
    Site,
    example_site_text,
    load_site,
    parse_site,
)
from drivers import base

# ---- A throwaway driver, so these tests do not depend on any real driver module ---------------------------

FAKE_MODULE = "tests_unit_fake_config_driver"


class FakeSettings(base.DriverSettings):
    """Settings of the stand-in driver: one bounded port and a name."""

    listen_port: int = Field(0, ge=0, le=65535, description="TCP port to listen on.")
    label: str = Field("", description="Free text.")


class EmptySettings(base.DriverSettings):
    """Settings with no fields, standing in for demo.scripted when its module is not there yet."""


def _fake_module(settings_cls: type[base.DriverSettings]) -> types.ModuleType:
    module = types.ModuleType(FAKE_MODULE)
    module.Settings = settings_cls  # type: ignore[attr-defined]
    module.create = lambda settings: None  # type: ignore[attr-defined]
    return module


@pytest.fixture(autouse=True)
def fake_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register driver "test.fake"; monkeypatch removes it (and its module) after each test."""
    monkeypatch.setitem(sys.modules, FAKE_MODULE, _fake_module(FakeSettings))
    monkeypatch.setitem(base._REGISTRY, "test.fake", base.DriverSpec("test.fake", FAKE_MODULE))


# ---- Helpers ----------------------------------------------------------------------------------------------


def _text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle`` (so expectations survive edits to the fixture)."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the test text"
    return hits[occurrence - 1]


def _issues(text: str, filename: str = "site.toml") -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse_site(text, filename)
    assert caught.value.errors, "a ConfigError must carry at least one issue"
    return caught.value.errors


def _only_issue(text: str) -> ConfigIssue:
    issues = _issues(text)
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


MINIMAL = _text(
    """
    [site]
    name = "某某大学"

    [[campuses]]
    id = "east"
    name = "东校区"
    """
)

FULL = _text(
    """
    [site]
    name = "某某大学 校园安全监控中心"
    timezone = "Asia/Shanghai"
    language = "en"

    [[campuses]]
    id = "east"
    name = "东校区"

    [[campuses]]
    id = "west"
    name = "西校区"
    map_image = "maps/west.png"

    [[cameras]]
    id = "cam-1"
    name = "南大门"
    campus = "east"
    main_url = "rtsp://viewer@192.168.1.10:554/main"
    sub_url = "rtsp://192.168.1.10:554/sub"
    credential = "hik-cameras"

    [[cameras]]
    id = "cam-2"
    name = "食堂"
    campus = "west"
    ptz = true
    onvif = { host = "192.168.2.20" }

    [[panels]]
    id = "fp-1"
    name = "消防主机"
    campus = "east"
    driver = "test.fake"
    settings = { listen_port = 9000 }

    [[gates]]
    id = "gate-1"
    name = "宿舍门禁"
    campus = "west"
    driver = "test.fake"
    credential = "dorm-gates"

    [[points]]
    id = "smoke-1"
    device = "fp-1"
    address = "1-10-2"
    name = "感烟探测器"
    kind = "detector"
    map = { campus = "east", x = 0.5, y = 0.25 }
    cameras = [
        "cam-1",
        "cam-2",
    ]

    [[points]]
    id = "door-1"
    device = "gate-1"
    address = "door-1"
    name = "正门"
    kind = "door"

    [recording]
    segment_seconds = 120

    [retention]
    events_days = 500

    [network]
    bind_host = "0.0.0.0"
    allowed_peers = ["192.168.1.0/24", "10.0.0.7", "fd00::/8"]

    [demo]
    speed = 2
    """
)


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


# ---- Valid sites ------------------------------------------------------------------------------------------


def test_minimal_site_gets_the_documented_defaults() -> None:
    site = parse_site(MINIMAL)

    assert site.site.name == "某某大学"
    assert site.site.timezone == "Asia/Shanghai"
    assert site.site.language is None
    assert [c.id for c in site.campuses] == ["east"]
    assert site.cameras == site.panels == site.gates == site.points == []
    assert site.recording.enabled is True and site.recording.segment_seconds == 60
    assert (site.retention.events_days, site.retention.recordings_days) == (400, 30)
    assert (site.retention.person_data_days, site.retention.audit_days) == (30, 1095)
    assert site.network.bind_host == "127.0.0.1" and site.network.allowed_peers == []
    assert site.demo is None


def test_full_site_parses_and_the_lookups_work() -> None:
    site = parse_site(FULL)

    camera = site.device("cam-1")
    assert isinstance(camera, config.Camera)
    assert camera.main_url == "rtsp://viewer@192.168.1.10:554/main"
    assert camera.credential == "hik-cameras"
    onvif_camera = site.device("cam-2")
    assert isinstance(onvif_camera, config.Camera)
    assert onvif_camera.onvif == config.OnvifEndpoint(host="192.168.2.20", port=80)
    assert onvif_camera.main_url is None and onvif_camera.ptz is True

    panel = site.device("fp-1")
    assert isinstance(panel, DeviceConfig)
    assert isinstance(panel.settings, FakeSettings)
    assert panel.settings.listen_port == 9000
    gate = site.device("gate-1")
    assert isinstance(gate, DeviceConfig)
    assert gate.settings == FakeSettings()  # omitted settings -> the driver model's defaults
    assert site.device("nope") is None

    assert [d.id for d in site.all_devices()] == ["cam-1", "cam-2", "fp-1", "gate-1"]
    point = site.point("smoke-1")
    assert point is not None and point.cameras == ["cam-1", "cam-2"]
    assert point.map == config.MapPosition(campus="east", x=0.5, y=0.25)
    assert site.point("nope") is None
    assert [p.id for p in site.points_of("gate-1")] == ["door-1"]
    west = site.campus("west")
    assert west is not None and west.map_image == "maps/west.png"
    assert site.campus("north") is None
    assert site.recording.segment_seconds == 120 and site.retention.events_days == 500
    assert site.demo == config.Demo(scenario="campus-day", speed=2.0)


def test_site_is_frozen_and_serialises_driver_settings() -> None:
    site = parse_site(FULL)

    with pytest.raises(ValidationError):
        site.site.name = "other"  # type: ignore[misc]
    dumped = json.loads(site.model_dump_json())
    assert dumped["panels"][0]["settings"] == {"listen_port": 9000, "label": ""}


def test_user_name_in_url_and_file_urls_are_fine() -> None:
    text = _text(
        """
        [[cameras]]
        id = "cam-a"
        name = "A"
        campus = "east"
        main_url = "rtsps://admin@cam.example.edu.cn/stream1"
        sub_url = "file:///srv/video/demo.mp4"

        [[cameras]]
        id = "cam-b"
        name = "B"
        campus = "east"
        main_url = "http://[fd00::5]:8080/video.mjpg"
        """
    )
    site = parse_site(MINIMAL + text)
    assert [c.main_url for c in site.cameras] == [
        "rtsps://admin@cam.example.edu.cn/stream1",
        "http://[fd00::5]:8080/video.mjpg",
    ]


def test_sites_built_in_code_are_cross_checked_too() -> None:
    data: dict[str, Any] = {
        "site": {"name": "x"},
        "campuses": [{"id": "east", "name": "E"}],
        "cameras": [{"id": "cam-1", "name": "C", "campus": "north", "main_url": "rtsp://h/s"}],
    }
    with pytest.raises(ValidationError, match="unknown campus 'north'"):
        Site.model_validate(data)


# ---- The example file -------------------------------------------------------------------------------------


def test_example_text_is_the_resource_file() -> None:
    resource = Path(__file__).resolve().parents[2] / "resources" / "site-example.toml"
    assert example_site_text() == resource.read_text(encoding="utf-8")


def test_the_example_loads_with_the_real_drivers(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(example_site_text(), encoding="utf-8")

    site = load_site(path)

    assert len(site.campuses) == 2
    assert len([c for c in site.cameras if c.main_url and c.main_url.startswith("rtsp://")]) == 3
    assert len([c for c in site.cameras if c.onvif is not None]) == 1
    assert [p.driver for p in site.panels] == ["fire.gb26875"]
    assert [g.driver for g in site.gates] == ["gates.hikvision_isapi"]
    assert site.gates[0].settings.mode == "both" and site.gates[0].credential == "dorm-gates"
    assert all(p.map is not None for p in site.points[:5])
    assert site.network.bind_host == "127.0.0.1"


def test_every_key_in_the_example_is_commented() -> None:
    lines = example_site_text().splitlines()
    key_line = re.compile(r"^\s*[A-Za-z0-9_.\"-]+\s*=")
    for number, line in enumerate(lines, 1):
        if key_line.match(line):
            before = lines[number - 2].lstrip() if number > 1 else ""
            assert before.startswith("#"), f"line {number} has no comment above it: {line!r}"


def test_example_holds_no_secret() -> None:
    text = example_site_text()
    assert not re.search(r"^\s*(password|passwd|secret|token|api_key|private_key)\s*=", text, re.M)
    assert not re.search(r"://[^/@\s]*:[^/@\s]*@", text)  # user:password@ in any URL


# ---- load_site --------------------------------------------------------------------------------------------


def test_load_site_reads_a_file_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_site(path).site.name == "某某大学"


def test_load_site_names_the_file_in_every_issue(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(MINIMAL + "colour = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert (
        str(caught.value)
        == f"{path}:{_line(MINIMAL + 'colour = 1', 'colour')}: campuses[0].colour: unknown key 'colour'"
    )


def test_missing_file_is_a_config_error_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    [issue] = caught.value.errors
    assert issue.file == str(path) and issue.line is None and issue.key == ""
    assert "cannot read the site file" in issue.message
    assert str(issue).startswith(f"{path}: cannot read")


def test_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the site file"):
        load_site(tmp_path)  # a directory


def test_non_utf8_file_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(MINIMAL.encode() + b'location = "\xb6\xab"\n')
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    [issue] = caught.value.errors
    assert issue.line == MINIMAL.count("\n") + 1 and "not UTF-8" in issue.message


# ---- Issue and error formatting ---------------------------------------------------------------------------


def test_issue_str_format() -> None:
    issue = ConfigIssue("site.toml", 12, "cameras[2].main_url", "unsupported URL scheme 'ftp'")
    assert str(issue) == "site.toml:12: cameras[2].main_url: unsupported URL scheme 'ftp'"
    assert str(ConfigIssue("site.toml", None, "site", "field required")) == "site.toml: site: field required"
    assert str(ConfigIssue("site.toml", 3, "", "TOML syntax error: x")) == "site.toml:3: TOML syntax error: x"


def test_error_str_is_one_issue_per_line_and_survives_pickling() -> None:
    issues = [ConfigIssue("a.toml", 1, "k", "m1"), ConfigIssue("a.toml", None, "", "m2")]
    error = ConfigError(issues)
    assert str(error) == "a.toml:1: k: m1\na.toml: m2"
    assert pickle.loads(pickle.dumps(error)).errors == issues


def test_the_documented_example_message_is_produced_exactly() -> None:
    cameras = "".join(
        f'[[cameras]]\nid = "c{i}"\nname = "C"\ncampus = "east"\nmain_url = "{url}"\n'
        for i, url in enumerate(["rtsp://h/a", "rtsp://h/b", "ftp://h/c"])
    )
    text = MINIMAL + cameras
    [issue] = _issues(text)
    assert str(issue) == (
        f"site.toml:{_line(text, 'ftp://')}: cameras[2].main_url: "
        "unsupported URL scheme 'ftp' (expected rtsp, rtsps, http, https, file)"
    )


# ---- One error at a time, with its exact line -------------------------------------------------------------

# (case id, edit of FULL as (old, new), expected key, expected message fragment, needle on the expected line)
Needle = str | tuple[str, int]  # text on the expected line, optionally which occurrence of it

ERROR_CASES: list[tuple[str, tuple[str, str], str, str, Needle]] = [
    (
        "unknown key",
        ('credential = "hik-cameras"', 'credential = "hik-cameras"\ncolour = "red"'),
        "cameras[0].colour",
        "unknown key 'colour'",
        "colour =",
    ),
    (
        "unknown key with a hint",
        ("ptz = true", 'ptz = true\nmian_url = "rtsp://h/s"'),
        "cameras[1].mian_url",
        "unknown key 'mian_url' (did you mean 'main_url'?)",
        "mian_url",
    ),
    (
        "unknown table",
        ("[recording]", "[recordings]\n[recording]"),
        "recordings",
        "unknown key 'recordings' (did you mean 'recording'?)",
        "[recordings]",
    ),
    (
        "wrong type",
        ("ptz = true", 'ptz = "yes"'),
        "cameras[1].ptz",
        "expected true or false, got a string",
        "ptz =",
    ),
    (
        "wrong type int",
        ("segment_seconds = 120", "segment_seconds = 12.5"),
        "recording.segment_seconds",
        "expected an integer, got a float",
        "segment_seconds",
    ),
    (
        "bad URL scheme",
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "ftp://192.168.1.10/sub"'),
        "cameras[0].sub_url",
        "unsupported URL scheme 'ftp' (expected rtsp, rtsps, http, https, file)",
        "sub_url",
    ),
    (
        "URL without host",
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "rtsp:///sub"'),
        "cameras[0].sub_url",
        "malformed URL: no host in rtsp URL",
        "sub_url",
    ),
    (
        "URL with a bad port",
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "rtsp://192.168.1.10:99999/sub"'),
        "cameras[0].sub_url",
        "malformed URL: invalid port",
        "sub_url",
    ),
    (
        "URL without scheme",
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "192.168.1.10/sub"'),
        "cameras[0].sub_url",
        "malformed URL",
        "sub_url",
    ),
    (
        "Windows path as URL",
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "C:\\\\video\\\\a.mp4"'),
        "cameras[0].sub_url",
        "file:///C:/",
        "sub_url",
    ),
    (
        "URL with password",
        (
            'main_url = "rtsp://viewer@192.168.1.10:554/main"',
            'main_url = "rtsp://admin:12345@192.168.1.10/main"',
        ),
        "cameras[0].main_url",
        "secrets never live in the site file; store it with `campus-console credentials set NAME` "
        "and set credential = NAME",
        "main_url",
    ),
    ("missing required", ('name = "食堂"\n', ""), "cameras[1].name", "field required", ("[[cameras]]", 2)),
    (
        "camera without source",
        ('onvif = { host = "192.168.2.20" }\n', ""),
        "cameras[1]",
        "needs main_url or an [cameras.onvif] endpoint",
        ("[[cameras]]", 2),
    ),
    (
        "duplicate id",
        ('id = "door-1"', 'id = "cam-2"  # dup'),
        "points[1].id",
        "duplicate id 'cam-2' (already used by cameras[1])",
        "# dup",
    ),
    (
        "duplicate campus",
        (
            '[[cameras]]\nid = "cam-1"',
            '[[campuses]]\nid = "east"  # dup\nname = "again"\n[[cameras]]\nid = "cam-1"',
        ),
        "campuses[2].id",
        "duplicate campus id 'east' (already used by campuses[0])",
        "# dup",
    ),
    (
        "unknown campus reference",
        ('campus = "west"\nptz', 'campus = "north"\nptz'),
        "cameras[1].campus",
        "unknown campus 'north' (known: east, west)",
        'campus = "north"',
    ),
    (
        "unknown campus on a map",
        ('map = { campus = "east"', 'map = { campus = "weest"'),
        "points[0].map.campus",
        "unknown campus 'weest' (did you mean 'west'?)",
        "map =",
    ),
    (
        "unknown camera in a point",
        ('    "cam-2",', '    "cam-3",'),
        "points[0].cameras[1]",
        "unknown camera 'cam-3'",
        '"cam-3"',
    ),
    (
        "unknown device",
        ('device = "gate-1"', 'device = "gate-9"'),
        "points[1].device",
        "unknown device 'gate-9' (did you mean 'gate-1'?)",
        "gate-9",
    ),
    (
        "point on a camera",
        ('device = "gate-1"', 'device = "cam-1"'),
        "points[1].device",
        "a point's device must be a panel or a gate; 'cam-1' is a camera",
        'device = "cam-1"',
    ),
    (
        "duplicate address",
        ('device = "gate-1"\naddress = "door-1"', 'device = "fp-1"\naddress = "1-10-2"  # dup'),
        "points[1].address",
        "address '1-10-2' on device 'fp-1' is already used by points[0]",
        "# dup",
    ),
    (
        "bad timezone",
        ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shangai"'),
        "site.timezone",
        "unknown time zone 'Asia/Shangai'",
        "timezone",
    ),
    (
        "bad language",
        ('language = "en"', 'language = "fr"'),
        "site.language",
        "must be one of 'zh_CN' or 'en' (got 'fr')",
        "language",
    ),
    (
        "bad bind host",
        ('bind_host = "0.0.0.0"', 'bind_host = "localhost"'),
        "network.bind_host",
        "expected an IP address literal",
        "bind_host",
    ),
    (
        "bad peer network",
        ('"10.0.0.7"', '"10.0.0.300/8"'),
        "network.allowed_peers",
        "'10.0.0.300/8' is not an IP network",
        "allowed_peers",
    ),
    (
        "peer network with host bits",
        ('"10.0.0.7"', '"10.0.0.7/8"'),
        "network.allowed_peers",
        "did you mean '10.0.0.0/8'?",
        "allowed_peers",
    ),
    (
        "unknown driver",
        ('driver = "test.fake"\nsettings', 'driver = "acme.panel"\nsettings'),
        "panels[0].driver",
        "unknown driver 'acme.panel' (known drivers: cameras.onvif, demo.scripted, fire.gb26875, ",
        "acme.panel",
    ),
    (
        "bad driver setting type",
        ("listen_port = 9000", 'listen_port = "nine"'),
        "panels[0].settings.listen_port",
        "expected an integer, got a string",
        "listen_port",
    ),
    (
        "driver setting out of range",
        ("listen_port = 9000", "listen_port = 70000"),
        "panels[0].settings.listen_port",
        "must be between 0 and 65535 (got 70000)",
        "listen_port",
    ),
    (
        "unknown driver setting in a sub-table",
        ('credential = "dorm-gates"', 'credential = "dorm-gates"\n[gates.settings]\nlisten_prot = 1'),
        "gates[0].settings.listen_prot",
        "unknown key 'listen_prot' (did you mean 'listen_port'?)",
        "listen_prot",
    ),
    (
        "settings not a table",
        ("settings = { listen_port = 9000 }", "settings = 5"),
        "panels[0].settings",
        "expected a table, got an integer",
        "settings = 5",
    ),
    (
        "segment too short",
        ("segment_seconds = 120", "segment_seconds = 5"),
        "recording.segment_seconds",
        "must be between 10 and 3600 (got 5)",
        "segment_seconds",
    ),
    (
        "retention below one day",
        ("events_days = 500", "events_days = 0"),
        "retention.events_days",
        "must be at least 1 (got 0)",
        "events_days",
    ),
    ("demo speed", ("speed = 2", "speed = 500"), "demo.speed", "must be between 0.1 and 100.0", "speed"),
    (
        "map position outside the picture",
        ("x = 0.5", "x = 1.5"),
        "points[0].map.x",
        "must be between 0.0 and 1.0",
        "map =",
    ),
    (
        "bad kind",
        ('kind = "door"', 'kind = "window"'),
        "points[1].kind",
        "must be one of 'detector'",
        "window",
    ),
    (
        "bad id",
        ('id = "door-1"', 'id = "Door 1"'),
        "points[1].id",
        "invalid id 'Door 1': use lower-case letters",
        "Door 1",
    ),
    (
        "bad credential name",
        ('credential = "dorm-gates"', 'credential = "dorm gates!"'),
        "gates[0].credential",
        "invalid credential name",
        "dorm gates!",
    ),
    (
        "onvif port",
        ('onvif = { host = "192.168.2.20" }', 'onvif = { host = "192.168.2.20", port = 0 }'),
        "cameras[1].onvif.port",
        "must be between 1 and 65535 (got 0)",
        "onvif =",
    ),
    (
        "onvif host with a user",
        ('onvif = { host = "192.168.2.20" }', 'onvif = { host = "admin@192.168.2.20" }'),
        "cameras[1].onvif.host",
        "secrets never live in the site file",
        "onvif =",
    ),
    (
        "empty name",
        ('name = "南大门"', 'name = ""'),
        "cameras[0].name",
        "must not be empty",
        'name = ""',
    ),
]


@pytest.mark.parametrize(
    ("edit", "key", "message", "needle"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_one_error_is_reported_at_its_key_and_line(
    edit: tuple[str, str], key: str, message: str, needle: Needle
) -> None:
    text = _replace(FULL, *edit)
    issues = _issues(text)
    assert len(issues) == 1, "\n".join(map(str, issues))
    [issue] = issues
    assert issue.key == key, str(issue)
    assert message in issue.message, str(issue)
    expected_line = _line(text, *needle) if isinstance(needle, tuple) else _line(text, needle)
    assert issue.line == expected_line, str(issue)
    assert issue.file == "site.toml"


def test_missing_site_table_has_no_line() -> None:
    issue = _only_issue(_text('[[campuses]]\nid = "east"\nname = "E"\n'))
    assert (issue.key, issue.line) == ("site", None)
    assert issue.message == "field required (add a [site] table)"


def test_missing_campuses() -> None:
    issue = _only_issue('[site]\nname = "x"\n')
    assert issue.key == "campuses" and issue.line is None
    assert "add at least one [[campuses]] table" in issue.message


def test_empty_campus_list() -> None:
    text = 'campuses = []\n[site]\nname = "x"\n'
    issue = _only_issue(text)
    assert (issue.key, issue.line, issue.message) == ("campuses", 1, "needs at least 1 entry")


def test_toml_syntax_error_reports_tomllib_line() -> None:
    text = MINIMAL + '\n[[cameras]]\nid = "cam-1"\nname = "unterminated\n'
    issue = _only_issue(text)
    assert issue.line == _line(text, "unterminated")
    assert issue.key == ""
    assert issue.message.startswith("TOML syntax error: ")
    assert "(at line" not in issue.message  # the line moved into the issue's own field


def test_toml_error_at_end_of_document() -> None:
    issue = _only_issue(MINIMAL + "[[cameras]]\nid = ")
    assert issue.line is not None and issue.message.startswith("TOML syntax error")


def test_registered_driver_whose_module_is_missing() -> None:
    base_registry = dict(base._REGISTRY)
    try:
        base.register(base.DriverSpec("test.absent", "tests_unit_no_such_driver_module"))
        text = _replace(FULL, 'driver = "test.fake"\nsettings', 'driver = "test.absent"\nsettings')
        issue = _only_issue(text)
    finally:
        base._REGISTRY.clear()
        base._REGISTRY.update(base_registry)
    assert issue.key == "panels[0].driver"
    assert "registered but could not be loaded" in issue.message


# ---- Secrets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "key", "needle"),
    [
        (
            ('name = "某某大学 校园安全监控中心"', 'name = "x"\npassword = "hunter2"'),
            "site.password",
            "password",
        ),
        (('credential = "hik-cameras"', 'passwd = "x"'), "cameras[0].passwd", "passwd"),
        (("ptz = true", 'ptz = true\napi_key = "abc"'), "cameras[1].api_key", "api_key"),
        (("listen_port = 9000", 'listen_port = 9000, token = "t"'), "panels[0].settings.token", "token"),
        (
            ('credential = "dorm-gates"', 'credential = "dorm-gates"\nsettings.secret = "s"'),
            "gates[0].settings.secret",
            "settings.secret",
        ),
        (("[demo]", "[demo]\nprivate_key = 1"), "demo.private_key", "private_key"),
        (
            ("listen_port = 9000", 'key = "00112233445566778899aabbccddeeff"'),
            "panels[0].settings.key",
            "0011223344",
        ),
        (("listen_port = 9000", 'aes_key = "x"'), "panels[0].settings.aes_key", "aes_key"),
        (
            ("listen_port = 9000", 'admin_password = "x"'),
            "panels[0].settings.admin_password",
            "admin_password",
        ),
        (
            ("listen_port = 9000", 'upstream = "https://u:p@example.com/"'),
            "panels[0].settings.upstream",
            "u:p@",
        ),
    ],
)
def test_secrets_are_refused_wherever_they_are(edit: tuple[str, str], key: str, needle: str) -> None:
    text = _replace(FULL, *edit)
    issue = _only_issue(text)  # once: not also "unknown key" for the same key
    assert issue.key == key
    assert "secrets never live in the site file" in issue.message
    assert "hunter2" not in str(issue) and "u:p@" not in str(issue)
    assert issue.line == _line(text, needle)


def test_secret_like_names_that_are_not_secrets_pass_the_secret_check() -> None:
    # token_ttl is an int and credential holds a NAME: neither is a secret (the driver refuses the keys).
    text = _replace(FULL, "listen_port = 9000", "token_ttl = 300, password_credential = 'x', key = 'short'")
    issues = _issues(text)
    assert {i.key for i in issues} == {
        "panels[0].settings.token_ttl",
        "panels[0].settings.password_credential",
        "panels[0].settings.key",
    }
    assert all(i.message.startswith("unknown key") for i in issues)


# ---- Many errors at once ----------------------------------------------------------------------------------


def test_several_errors_are_reported_together_in_line_order() -> None:
    text = FULL
    for old, new in [
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'),
        ('sub_url = "rtsp://192.168.1.10:554/sub"', 'sub_url = "ftp://192.168.1.10/sub"'),
        ('campus = "west"\nptz', 'campus = "north"\nptz'),
        ('driver = "test.fake"\nsettings', 'driver = "acme"\nsettings'),
        ('    "cam-2",', '    "cam-9",'),
        ('kind = "door"', 'kind = "door"\nfoo = 1'),
        ("segment_seconds = 120", "segment_seconds = 1"),
        ('bind_host = "0.0.0.0"', 'bind_host = "my-pc"'),
    ]:
        text = _replace(text, old, new)

    issues = _issues(text)

    assert [i.key for i in issues] == [
        "site.timezone",
        "cameras[0].sub_url",
        "cameras[1].campus",
        "panels[0].driver",
        "points[0].cameras[1]",
        "points[1].foo",
        "recording.segment_seconds",
        "network.bind_host",
    ]
    lines = [i.line for i in issues]
    assert lines == sorted(lines) and None not in lines
    assert lines == [
        _line(text, "Mars/Base"),
        _line(text, "ftp://"),
        _line(text, '"north"'),
        _line(text, '"acme"'),
        _line(text, '"cam-9"'),
        _line(text, "foo = 1"),
        _line(text, "segment_seconds"),
        _line(text, "my-pc"),
    ]


# ---- The locator on awkward TOML --------------------------------------------------------------------------


def test_lines_survive_multiline_strings_comments_and_dotted_keys() -> None:
    text = MINIMAL + _text(
        '''
        [[cameras]]  # the first camera
        id = "cam-1"
        name = "A"
        campus = "east"
        location = """
        [[cameras]]
        main_url = "ftp://not/a/key"
        """
        main_url = 'rtsp://h/s'  # a literal string

        [[cameras]]
        "id" = "cam-2"
        name = "B"
        campus = "east"
        onvif.host = "10.0.0.2"
        onvif.port = 0
        notes = [
          "a, b",  # comma in a string
          ["nested", "]"],
        ]
        '''
    )
    issues = _issues(text)
    assert [(i.key, i.line) for i in issues] == [
        ("cameras[1].onvif.port", _line(text, "onvif.port")),
        ("cameras[1].notes", _line(text, "notes = [")),
    ]


def test_lines_inside_sub_tables_of_arrays() -> None:
    text = MINIMAL + _text(
        """
        [[cameras]]
        id = "cam-1"
        name = "A"
        campus = "east"

        [cameras.onvif]
        host = "10.0.0.1"
        port = 70000

        [[cameras]]
        id = "cam-2"
        name = "B"
        campus = "east"

        [cameras.onvif]
        host = "10.0.0.2"
        port = 0
        """
    )
    issues = _issues(text)
    assert [(i.key, i.line) for i in issues] == [
        ("cameras[0].onvif.port", _line(text, "port = 70000")),
        ("cameras[1].onvif.port", _line(text, "port = 0")),
    ]


def test_array_of_inline_tables_points_at_the_element() -> None:
    # Top-level keys must come before the first table, so the array goes first.
    text = (
        _text(
            """
            cameras = [
              { id = "cam-1", name = "A", campus = "east", main_url = "rtsp://h/1" },
              { id = "cam-2", name = "B", campus = "east", main_url = "gopher://h/2" },
            ]
            """
        )
        + MINIMAL
    )
    issue = _only_issue(text)
    assert (issue.key, issue.line) == ("cameras[1].main_url", 3)


def test_locator_never_raises_on_its_own() -> None:
    locator = config._Locator('a = [1, 2\nb = "unterminated')
    assert locator.line_of(("a", 0)) == 1
    assert locator.line_of(("zzz",)) is None


# ---- Robustness -------------------------------------------------------------------------------------------

_TOMLISH = st.text(
    alphabet=st.sampled_from(list("[]{}=\"'.,#\n \\abcdeiknmpstu0123456789_-:/@")), max_size=200
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), _TOMLISH, _TOMLISH.map(lambda tail: MINIMAL + tail)))
def test_garbage_text_only_ever_raises_config_error(text: str) -> None:
    try:
        site = parse_site(text, "fuzz.toml")
    except ConfigError as exc:
        assert exc.errors and all(isinstance(issue, ConfigIssue) for issue in exc.errors)
        assert all(issue.line is None or issue.line >= 1 for issue in exc.errors)
        str(exc)
    else:
        assert isinstance(site, Site)


def _toml_value(value: Any) -> str:
    """A TOML rendering of JSON-like data (JSON string escapes are valid TOML basic-string escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        ["east", "cam-1", "fp-1", "rtsp://h/s", "ftp://h", "0.0.0.0", "Asia/Shanghai", "detector"]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "site",
        "campuses",
        "cameras",
        "panels",
        "gates",
        "points",
        "recording",
        "retention",
        "network",
        "demo",
        "x",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=6), st.data())
def test_random_valid_toml_only_ever_raises_config_error(
    document: dict[str, Any], data: st.DataObject
) -> None:
    site = parse_site(FULL).model_dump(mode="json", exclude_none=True)
    site.update(document)
    # Also poke one random value deep inside an otherwise valid site.
    section = data.draw(st.sampled_from(["cameras", "panels", "points"]))
    if isinstance(site.get(section), list) and site[section] and isinstance(site[section][0], dict):
        entry = site[section][0]
        entry[data.draw(st.sampled_from([*entry, "extra"]))] = data.draw(_VALUES)
    text = "\n".join(f"{json.dumps(key)} = {_toml_value(value)}" for key, value in site.items())
    try:
        parse_site(text, "fuzz.toml")
    except ConfigError as exc:
        assert exc.errors
