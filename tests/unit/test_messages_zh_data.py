"""With --lang zh, what validate and import print is Chinese (issue #17).

A broken folder that raises most of the data package's problems is validated and
imported with ``--lang zh``; every ASCII word left in the output, once the user's own
file names, headers and values are taken out, must be one of the contract's
identifiers (table, column and enum names the files use) or a technical name
(UTF-8, cskpi, --set).  An English sentence anywhere fails the test.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from cskpi.data.schema import TABLES
from tests.helpers.common import write_folder

FILES: dict[str, str | bytes] = {
    "客服.csv": "客服ID,姓名,岗位,级别,在职\n001,王芳,售前,高级,是\n002,赵磊,店长,普通,也许\n",
    "订单_2026-10.csv": (
        "订单号,买家,下单时间,付款时间,实付金额,件数,状态\n"
        'O1,C1,2026/10/5 9:3,2026-10-05 09:04:00,"￥1,000.00",1,已付款\n'
        "O2,C2,2026-10-05 24:00:00,,12.345,两件,未付款\n"
        "O3,C3,2026-10-05 10:00:00,2026-10-05 09:00:00,-5,1,已付款\n"
        "O3,C3,2026-10-05 10:00:00,2026-10-05 09:00:00,-6,1,已付款\n"
        "O4,C4,2026-10-05 10:00:00,,12.00,1,已付款\n"),
    "聊天记录.csv": (
        "会话ID,时间,发送方,客服1D,顾客ID,备注X\n"
        "S1,2026-10-05 10:00:00,顾客,,C1,a\n"
        "S1,2026-10-05 10:00:00,顾客,,C1,a\n"
        "S1,2026-10-05 10:01:00,客服,009,,b\n"
        "S2,2026-10-05 10:01:00,路人,,,c\n"),
    "商品评价.csv": "订单号,评价\nO1,好评\nO1,好评\nO9,很好\n",
    "考勤.csv": "客服ID,日期,状态\n001,2026-10-05,迟到\n001,2026-10-05,旷工\n007,10月5日,请假\n",
    "目标.csv": "月份,范围,指标,目标值\n2026-13,everyone,sales,1000\n",
    "notes.csv": "x,y\n1,2\n",
    "说明.txt": "just notes",
    "在线时长.csv": codecs.BOM_UTF8 + "客服ID,上线时间\n001,2026-10-05 08:00:00\n".encode(),
    "投诉.csv": b"\xef\xbb\xbf\xe6\x8a\x95,\xff\n",
}

# what the user typed: file names, headers and values of the folder
TECHNICAL = {"utf", "gbk", "gb18030", "big5", "csv", "xlsx", "excel", "cskpi", "import",
             "encoding", "set", "session_gap_min", "split_resumed_after_h", "none", "yyyy",
             "mm", "dd", "hh", "ss", "true", "false", "yes", "no", "shop", "team", "agent",
             "name", "id", "bom", "parquet", "iana", "t14", "z"}


def identifiers() -> set[str]:
    words = set(TECHNICAL)
    for table in TABLES.values():
        words |= {table.name, *table.name.split("_")}
        for col in table.columns:
            words |= {col.name, *col.name.split("_")}
            words |= {v.lower() for v in (col.values or {}).values()}
            words |= {k for k in (col.values or {}) if k.isascii()}
    return words


def users_own(files: dict[str, str | bytes]) -> set[str]:
    """File names, headers and cell values of the folder."""
    found = set(files)
    for content in files.values():
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        found |= {cell for line in text.splitlines() for cell in re.split(r"[,\"]", line)
                  if cell}
    return found


def english_words(output: str, files: dict[str, str | bytes]) -> list[str]:
    """ASCII words of ``output`` that are neither identifiers nor the user's own text."""
    allowed = identifiers()
    own = users_own(files)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", output))
    return sorted(w for w in words if len(w) > 1 and w.lower() not in allowed
                  and not any(w in text for text in own))


def test_validate_and_import_speak_chinese(cli, tmp_path: Path) -> None:
    data = write_folder(tmp_path / "data", FILES)
    validated = cli("validate", data, "--lang", "zh")
    assert validated.exit_code == 1
    assert "错误" in validated.stdout and "第 3 行" in validated.stdout
    # the problems the folder was made to have were all found
    for expected in ("“店长”不是", "分钟或秒只有一位", "超过两位小数", "是否应为“客服ID”",
                     "未读取该文件", "月份"):
        assert expected in validated.stdout, expected
    assert english_words(validated.stdout + validated.stderr, FILES) == []

    imported = cli("import", data, "--workspace", tmp_path / "ws.duckdb", "--lang", "zh")
    assert imported.exit_code == 1 and "未导入任何数据" in imported.stdout
    printed = (imported.stdout + imported.stderr).replace(str(tmp_path), "")
    assert english_words(printed, FILES | {"ws.duckdb": ""}) == []


def test_an_import_summary_and_usage_errors_speak_chinese(cli, tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "客服名单.csv": "客服ID,姓名\n001,王芳\n",
        "聊天记录.csv": "时间,发送方,客服ID,顾客ID\n2026-10-05 10:00:00,顾客,,C1\n"
                       "2026-10-05 10:00:30,客服,001,C1\n",
    }
    data = write_folder(tmp_path / "data", files)
    imported = cli("import", data, "--workspace", tmp_path / "ws.duckdb", "--lang", "zh")
    assert imported.exit_code == 0, imported.output
    assert "已导入到" in imported.stdout and "切分为" in imported.stdout
    printed = (imported.stdout + imported.stderr).replace(str(tmp_path), "")  # the user's path
    assert english_words(printed, files | {"ws.duckdb": ""}) == []
    missing = cli("validate", tmp_path / "nowhere", "--lang", "zh")
    assert missing.exit_code == 2 and "不是文件夹" in missing.output
    assert english_words(missing.output.replace(str(tmp_path), ""), {"nowhere": ""}) == []
