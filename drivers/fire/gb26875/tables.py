"""GB/T 26875.3 code tables: status and operation bits, system, component and analog types."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SystemStatus(enum.IntFlag):
    """建筑消防设施系统状态 (type 1), u16. Unknown bits are kept (IntFlag boundary KEEP)."""

    NORMAL = 1 << 0  # 1 = 正常运行, 0 = 测试 (many vendors never set it)
    FIRE = 1 << 1
    FAULT = 1 << 2
    DISABLED = 1 << 3
    SUPERVISORY = 1 << 4
    STARTED = 1 << 5  # 0 = 停止/关闭
    FEEDBACK = 1 << 6
    DELAYED = 1 << 7
    MAINS_FAULT = 1 << 8
    BATTERY_FAULT = 1 << 9
    BUS_FAULT = 1 << 10
    MANUAL = 1 << 11  # 0 = 自动
    CONFIG_CHANGED = 1 << 12
    RESET = 1 << 13


class ComponentStatus(enum.IntFlag):
    """建筑消防设施部件状态 (type 2), u16: bits 0-7 as for systems, bit 8 电源故障."""

    NORMAL = 1 << 0
    FIRE = 1 << 1
    FAULT = 1 << 2
    DISABLED = 1 << 3
    SUPERVISORY = 1 << 4
    STARTED = 1 << 5
    FEEDBACK = 1 << 6
    DELAYED = 1 << 7
    POWER_FAULT = 1 << 8


class UitdStatus(enum.IntFlag):
    """用户信息传输装置运行状态 (type 21), u8."""

    NORMAL = 1 << 0  # 1 = 正常监视, 0 = 测试
    FIRE = 1 << 1
    FAULT = 1 << 2
    MAINS_FAULT = 1 << 3
    BATTERY_FAULT = 1 << 4
    LINK_FAULT = 1 << 5  # 与监控中心通信信道故障
    LINE_FAULT = 1 << 6  # 监测连接线路故障


class OperationFlags(enum.IntFlag):
    """建筑消防设施操作信息 (type 4), u8."""

    RESET = 1 << 0
    SILENCE = 1 << 1
    MANUAL_ALARM = 1 << 2
    ALARM_CLEARED = 1 << 3
    SELF_TEST = 1 << 4
    CONFIRM = 1 << 5
    TEST = 1 << 6


class UitdOperationFlags(enum.IntFlag):
    """用户信息传输装置操作信息 (type 24), u8: as type 4 except bit 5 查岗应答."""

    RESET = 1 << 0
    SILENCE = 1 << 1
    MANUAL_ALARM = 1 << 2
    ALARM_CLEARED = 1 << 3
    SELF_TEST = 1 << 4
    PATROL_ANSWER = 1 << 5
    TEST = 1 << 6


# Chinese labels per flag name; one table serves all five flag types because shared names mean the
# same thing, except NORMAL, whose wording differs for the UITD (正常监视) and is special-cased.
FLAG_LABELS: dict[str, str] = {
    "NORMAL": "正常运行",
    "FIRE": "火警",
    "FAULT": "故障",
    "DISABLED": "屏蔽",
    "SUPERVISORY": "监管",
    "STARTED": "启动",
    "FEEDBACK": "反馈",
    "DELAYED": "延时",
    "MAINS_FAULT": "主电故障",
    "BATTERY_FAULT": "备电故障",
    "BUS_FAULT": "总线故障",
    "MANUAL": "手动",
    "CONFIG_CHANGED": "配置改变",
    "RESET": "复位",
    "POWER_FAULT": "电源故障",
    "LINK_FAULT": "通信信道故障",
    "LINE_FAULT": "监测连接线路故障",
    "SILENCE": "消音",
    "MANUAL_ALARM": "手动报警",
    "ALARM_CLEARED": "警情消除",
    "SELF_TEST": "自检",
    "CONFIRM": "确认",
    "TEST": "测试",
    "PATROL_ANSWER": "查岗应答",
}


def flag_names(flags: enum.IntFlag) -> list[str]:
    """Names of the known bits set in ``flags``, lowest bit first."""
    return list(_flag_names(type(flags), int(flags)))


# Walking an IntFlag's members costs microseconds per report (the fire benchmark's hottest line); status
# words are 8 or 16 bits, so the answers per (flag type, value) are few and are remembered.
_FLAG_NAMES: dict[tuple[type[enum.IntFlag], int], tuple[str, ...]] = {}


def _flag_names(kind: type[enum.IntFlag], value: int) -> tuple[str, ...]:
    names = _FLAG_NAMES.get((kind, value))
    if names is None:
        flags = kind(value)
        names = _FLAG_NAMES[(kind, value)] = tuple(m.name for m in kind if m in flags and m.name)
    return names


SYSTEM_TYPES: dict[int, tuple[str, str]] = {
    0: ("通用", "general"),
    1: ("火灾报警系统", "fire alarm system"),
    10: ("消防联动控制器", "fire linkage controller"),
    11: ("消火栓系统", "hydrant system"),
    12: ("自动喷水灭火系统", "sprinkler system"),
    13: ("气体灭火系统", "gas extinguishing system"),
    14: ("水喷雾灭火系统（泵启动方式）", "water spray system (pump start)"),
    15: ("水喷雾灭火系统（压力容器启动方式）", "water spray system (pressure vessel start)"),
    16: ("泡沫灭火系统", "foam system"),
    17: ("干粉灭火系统", "dry powder system"),
    18: ("防烟排烟系统", "smoke control system"),
    19: ("防火门及卷帘系统", "fire door and shutter system"),
    20: ("消防电梯", "fire lift"),
    21: ("消防应急广播", "emergency broadcast"),
    22: ("消防应急照明和疏散指示系统", "emergency lighting and evacuation signs"),
    23: ("消防电源", "fire power supply"),  # some summaries repeat 消防电梯 here; that is a slip
    24: ("消防电话", "fire telephone"),
}

COMPONENT_TYPES: dict[int, tuple[str, str]] = {
    0: ("通用", "general"),
    1: ("火灾报警控制器", "fire alarm control panel"),
    10: ("可燃气体探测器", "combustible gas detector"),
    11: ("点型可燃气体探测器", "point combustible gas detector"),
    12: ("独立式可燃气体探测器", "standalone combustible gas detector"),
    13: ("线型可燃气体探测器", "line combustible gas detector"),
    16: ("电气火灾监控报警器", "electrical fire monitor"),
    17: ("剩余电流式电气火灾监控探测器", "residual-current electrical fire detector"),
    18: ("测温式电气火灾监控探测器", "temperature electrical fire detector"),
    21: ("探测回路", "detection loop"),
    22: ("火灾显示盘", "fire repeater panel"),
    23: ("手动火灾报警按钮", "manual call point"),
    24: ("消火栓按钮", "hydrant button"),
    25: ("火灾探测器", "fire detector"),
    30: ("感温火灾探测器", "heat detector"),
    31: ("点型感温火灾探测器", "point heat detector"),
    32: ("点型感温火灾探测器（S型）", "point heat detector (S)"),
    33: ("点型感温火灾探测器（R型）", "point heat detector (R)"),
    34: ("线型感温火灾探测器", "line heat detector"),
    35: ("线型感温火灾探测器（S型）", "line heat detector (S)"),
    36: ("线型感温火灾探测器（R型）", "line heat detector (R)"),
    37: ("光纤感温火灾探测器", "fibre-optic heat detector"),
    40: ("感烟火灾探测器", "smoke detector"),
    41: ("点型离子感烟火灾探测器", "point ionisation smoke detector"),
    42: ("点型光电感烟火灾探测器", "point photoelectric smoke detector"),
    43: ("线型光束感烟火灾探测器", "beam smoke detector"),
    44: ("吸气式感烟火灾探测器", "aspirating smoke detector"),
    50: ("复合式火灾探测器", "multi-sensor fire detector"),
    51: ("复合式感烟感温火灾探测器", "smoke and heat multi-sensor detector"),
    52: ("复合式感光感温火灾探测器", "flame and heat multi-sensor detector"),
    53: ("复合式感光感烟火灾探测器", "flame and smoke multi-sensor detector"),
    61: ("紫外火焰探测器", "ultraviolet flame detector"),
    62: ("红外火焰探测器", "infrared flame detector"),
    69: ("感光火灾探测器", "flame detector"),
    74: ("气体探测器", "gas detector"),
    78: ("图像型火灾探测器", "video fire detector"),
    79: ("感声火灾探测器", "acoustic fire detector"),
    81: ("气体灭火控制器", "gas extinguishing controller"),
    82: ("消防电气控制装置", "fire electrical control unit"),
    83: ("消防控制室图形显示装置", "fire control room graphic display"),
    84: ("模块", "module"),
    85: ("输入模块", "input module"),
    86: ("输出模块", "output module"),
    87: ("输入/输出模块", "input/output module"),
    88: ("中继模块", "relay module"),
    91: ("消防水泵", "fire pump"),
    92: ("消防水箱", "fire water tank"),
    95: ("喷淋泵", "sprinkler pump"),
    96: ("水流指示器", "water flow indicator"),
    97: ("信号阀", "signal valve"),
    98: ("报警阀", "alarm valve"),
    99: ("压力开关", "pressure switch"),
    101: ("阀驱动装置", "valve actuator"),
    102: ("防火门", "fire door"),
    103: ("防火阀", "fire damper"),
    104: ("通风空调", "ventilation and air conditioning"),
    105: ("泡沫液泵", "foam concentrate pump"),
    106: ("管网电磁阀", "pipe network solenoid valve"),
    111: ("防烟排烟风机", "smoke control fan"),
    113: ("排烟防火阀", "smoke exhaust fire damper"),
    114: ("常闭送风口", "normally closed air supply vent"),
    115: ("排烟口", "smoke exhaust vent"),
    116: ("电控挡烟垂壁", "electric smoke curtain"),
    117: ("防火卷帘控制器", "fire shutter controller"),
    118: ("防火门监控器", "fire door monitor"),
    121: ("报警装置", "alarm device"),
}


def _name(table: dict[int, tuple[str, str]], code: int, lang: str) -> str:
    names = table.get(code)
    english = lang == "en"
    if names is not None:
        return names[1] if english else names[0]
    if code >= 128:
        return f"user-defined ({code})" if english else f"用户自定义({code})"
    return f"reserved ({code})" if english else f"保留({code})"


def system_type_name(code: int, lang: str = "zh") -> str:
    """Name of a 系统类型 code in Chinese (``lang="zh"``) or English (``"en"``); never raises."""
    return _name(SYSTEM_TYPES, code, lang)


def component_type_name(code: int, lang: str = "zh") -> str:
    """Name of a 部件类型 code in Chinese or English; never raises."""
    return _name(COMPONENT_TYPES, code, lang)


@dataclass(frozen=True, slots=True)
class AnalogType:
    name: str  # Chinese quantity name
    name_en: str
    unit: str
    scale: float  # engineering value = raw i16 * scale
    low: float  # valid range as published, in engineering units
    high: float


ANALOG_TYPES: dict[int, AnalogType] = {
    1: AnalogType("事件计数", "event count", "件", 1, 0, 32000),
    2: AnalogType("高度", "height", "m", 0.01, 0, 320),
    3: AnalogType("温度", "temperature", "℃", 0.1, -273, 3200),
    4: AnalogType("压力", "pressure", "MPa", 0.1, 0, 3200),
    5: AnalogType("压力", "pressure", "kPa", 0.1, 0, 3200),
    6: AnalogType("气体浓度", "gas concentration", "%LEL", 0.1, 0, 100),
    7: AnalogType("时间", "time", "s", 1, 0, 32000),
    8: AnalogType("电压", "voltage", "V", 0.1, 0, 3200),
    9: AnalogType("电流", "current", "A", 0.1, 0, 3200),
    10: AnalogType("流量", "flow", "L/s", 0.1, 0, 3200),
    11: AnalogType("风量", "air volume", "m³/min", 0.1, 0, 3200),
    12: AnalogType("风速", "air speed", "m/s", 1, 0, 20),
}
