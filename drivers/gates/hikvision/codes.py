"""Hikvision access-control (major, minor) event codes → gate kind, result, state, reason and method."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.base import (
    GATE_ALARM_PREFIX,
    GATE_DENIED,
    GATE_DOOR,
    GATE_PASS,
    EventState,
    GateResult,
    Method,
    Priority,
)

# Majors of NET_DVR_ACS_ALARM_INFO / AccessControllerEvent.majorEventType.
MAJOR_ALARM = 0x1
MAJOR_EXCEPTION = 0x2
MAJOR_OPERATION = 0x3
MAJOR_EVENT = 0x5

GATE_OTHER = "gate.other"  # a code we do not know: kept as a record, never dropped


@dataclass(frozen=True, slots=True)
class Code:
    """What one (major, minor) pair means for the console."""

    kind: str
    result: GateResult
    label: str  # Chinese label for the summary, as the device's own client shows it
    state: EventState = EventState.INFO
    reason: str = ""
    method: Method | None = None
    keepalive: bool = False  # a heartbeat: dropped before dispatch

    @property
    def priority(self) -> Priority:
        return Priority.SECURITY if self.kind.startswith(GATE_ALARM_PREFIX) else Priority.INFO


def _pass(label: str, method: Method) -> Code:
    return Code(GATE_PASS, GateResult.GRANTED, label, method=method)


def _deny(label: str, reason: str, method: Method | None = None) -> Code:
    return Code(GATE_DENIED, GateResult.DENIED, label, reason=reason, method=method)


def _alarm(name: str, label: str, state: EventState = EventState.ACTIVE) -> Code:
    return Code(GATE_ALARM_PREFIX + name, GateResult.ALARM, label, state=state, reason=name)


def _door(label: str, reason: str) -> Code:
    return Code(GATE_DOOR, GateResult.INFO, label, reason=reason)


_C, _F, _P = Method.CARD, Method.FACE, Method.PASSWORD
_FP, _R, _O = Method.FINGERPRINT, Method.REMOTE, Method.OTHER

# Minor codes as in HCNetSDK's MINOR_* constants (mirrored by many public SDK wrappers). The same minor
# number means different things under different majors, so the table is keyed by the pair.
CODES: dict[tuple[int, int], Code] = {
    # -- major 5: events ---------------------------------------------------------------------------
    (5, 0x01): _pass("合法卡认证通过", _C),
    (5, 0x02): _pass("刷卡加密码认证通过", _C),
    (5, 0x03): _deny("刷卡加密码认证失败", "wrong_password", _C),
    (5, 0x04): _deny("刷卡加密码认证超时", "timeout", _C),
    (5, 0x06): _deny("未分配权限", "no_permission", _C),
    (5, 0x07): _deny("无效时段", "invalid_time", _C),
    (5, 0x08): _deny("卡号过期", "expired", _C),
    (5, 0x09): _deny("无此卡号", "no_such_card", _C),
    (5, 0x0A): _deny("反潜回认证失败", "anti_passback", _C),
    (5, 0x0B): _deny("互锁门未关闭", "interlock", _C),
    (5, 0x15): _door("门锁打开", "unlocked"),
    (5, 0x16): _door("门锁关闭", "locked"),
    (5, 0x17): _door("开门按钮打开", "exit_button"),
    (5, 0x19): _door("门磁正常开门", "opened"),
    (5, 0x1A): _door("门磁正常关门", "closed"),
    (5, 0x1B): _alarm("forced", "门异常打开"),
    (5, 0x1C): _alarm("held_open", "开门超时"),
    (5, 0x26): _pass("指纹比对通过", _FP),
    (5, 0x27): _deny("指纹比对失败", "fingerprint_mismatch", _FP),
    (5, 0x31): _deny("指纹不存在", "no_such_fingerprint", _FP),
    (5, 0x34): _alarm("fire_release", "消防继电器导通触发门常开"),
    (5, 0x35): _alarm("fire_release", "消防继电器恢复门恢复正常", EventState.CLEARED),
    (5, 0x36): _pass("人脸加指纹认证通过", _F),
    (5, 0x37): _deny("人脸加指纹认证失败", "face_mismatch", _F),
    (5, 0x39): _pass("人脸加密码认证通过", _F),
    (5, 0x3A): _deny("人脸加密码认证失败", "face_mismatch", _F),
    (5, 0x3C): _pass("人脸加刷卡认证通过", _F),
    (5, 0x3D): _deny("人脸加刷卡认证失败", "face_mismatch", _F),
    (5, 0x4B): _pass("人脸认证通过", _F),
    (5, 0x4C): _deny("人脸认证失败", "face_mismatch", _F),
    (5, 0x50): _deny("人脸识别失败", "face_mismatch", _F),
    (5, 0x69): _pass("人证比对通过", _O),
    (5, 0x70): _deny("人证比对失败", "id_mismatch", _O),
    (5, 0x71): Code(GATE_ALARM_PREFIX + "blocklist", GateResult.ALARM, "黑名单事件", EventState.ACTIVE,
                    "blocklist"),
    (5, 0x75): _deny("门常闭或休眠状态认证失败", "door_locked_mode"),
    (5, 0x83): Code(GATE_OTHER, GateResult.INFO, "心跳", keepalive=True),
    (5, 0x85): _alarm("tailgating", "尾随通行"),
    (5, 0x86): _alarm("reverse", "反向闯入"),
    (5, 0x87): _alarm("forced", "外力冲撞"),
    (5, 0x88): _alarm("climb", "翻越"),
    (5, 0x89): _alarm("pass_timeout", "通行超时"),
    (5, 0x8A): _alarm("intrusion", "误闯报警"),
    (5, 0x8B): _alarm("unauthorised_free_pass", "闸机自由通行时未认证通过"),
    (5, 0x8C): _alarm("arm_blocked", "摆臂被阻挡"),
    (5, 0x8D): _alarm("arm_blocked", "摆臂阻挡消除", EventState.CLEARED),
    (5, 0x97): _deny("密码不匹配", "wrong_password", _P),
    (5, 0x98): _deny("工号不存在", "no_such_person"),
    (5, 0x99): _pass("组合认证通过", _O),
    (5, 0x9A): _deny("组合认证超时", "timeout"),
    # -- major 1: alarms ---------------------------------------------------------------------------
    (1, 0x400): _alarm("input_short", "防区短路报警"),
    (1, 0x401): _alarm("input_open", "防区断路报警"),
    (1, 0x403): _alarm("input_short", "防区报警恢复", EventState.CLEARED),
    (1, 0x404): _alarm("tamper", "设备防拆报警"),
    (1, 0x405): _alarm("tamper", "设备防拆恢复", EventState.CLEARED),
    (1, 0x406): _alarm("reader_tamper", "读卡器防拆报警"),
    (1, 0x407): _alarm("reader_tamper", "读卡器防拆恢复", EventState.CLEARED),
    (1, 0x408): _alarm("case_sensor", "事件输入报警"),
    (1, 0x409): _alarm("case_sensor", "事件输入恢复", EventState.CLEARED),
    (1, 0x40A): _alarm("duress", "胁迫报警"),
    # -- major 3: operations -----------------------------------------------------------------------
    (3, 0x400): Code(GATE_DOOR, GateResult.INFO, "远程开门", reason="remote_open", method=_R),
    (3, 0x401): Code(GATE_DOOR, GateResult.INFO, "远程关门", reason="remote_close", method=_R),
    (3, 0x402): Code(GATE_DOOR, GateResult.INFO, "远程常开", reason="remote_always_open", method=_R),
    (3, 0x403): Code(GATE_DOOR, GateResult.INFO, "远程常闭", reason="remote_always_closed", method=_R),
}


def lookup(major: int, minor: int) -> Code:
    """The meaning of a pair; an unknown pair becomes a plain record so nothing is lost."""
    code = CODES.get((major, minor))
    if code is not None:
        return code
    return Code(GATE_OTHER, GateResult.INFO, f"门禁事件 {major}/0x{minor:x}", reason="unknown_code")


def code_text(major: int, minor: int) -> str:
    """The vendor code as the gate log shows it, e.g. ``hik:5/0x4b``."""
    return f"hik:{major}/0x{minor:x}"
