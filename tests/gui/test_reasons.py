"""Health reasons from workers and drivers read in the officer's language."""

from __future__ import annotations

from typing import Any

from widgets.i18n import install_translator
from widgets.reasons import reason_label


def test_reasons_translate_codes_and_prefixes(qapp: Any) -> None:
    try:
        install_translator("zh_CN")
        assert reason_label("auth failed") == "认证失败"
        assert reason_label("reconnecting: timeout") == "重连中：超时"
        assert reason_label("listening on 127.0.0.1:19001 (tcp)") == "监听 127.0.0.1:19001 (tcp)"
        assert reason_label("ValueError: something odd") == "ValueError: something odd"  # unknown: as given
    finally:
        install_translator("en")
    assert reason_label("auth failed") == "authentication failed"
