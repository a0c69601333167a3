"""With ``--lang zh`` a user of the command line reads no English sentence (issue #17).

Every command's ``--help`` (the tree is walked, so a new command is covered by itself),
the everyday commands on a small generated shop, a broken folder and wrong usage are run
in Chinese, by ``--lang zh`` and once by ``LANG=zh_CN.UTF-8``.  An English phrase is words
of two or more letters in a row, two at least not in capitals (an acronym such as CSV,
REST API or YYYY is no sentence), within one line or table cell, once
what is the user's own is taken out: their file names, agent ids and names, the command
lines a hint tells them to type (``cskpi import …``, ``--period``).  Identifiers a user
types as they are (metric keys, table and column names, preset names) are single words
of that rule's sense already.  The same runs in English must show no catalog key raw.
"""

from __future__ import annotations

import codecs
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from cskpi.cli.i18n import help_keys, walk
from cskpi.cli.main import app
from cskpi.locale import catalog
from tests.helpers.common import AGENTS_CSV, write_folder

Run = Callable[..., Any]
COMMANDS = [path for path, _ in walk(typer.main.get_command(app))]
ENV_NO_LANG = {"CSKPI_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
WORD = r"[A-Za-z]{2,}"
ID = "A-Za-z0-9_.-"  # what continues an identifier (a Chinese character does not)
RUN = re.compile(rf"(?<![{ID}]){WORD}(?:[ \t]+{WORD})+(?![{ID}])")  # words in a row
BOX = re.compile("[\u2500-\u257f\n]")  # rich's table and panel borders, and line ends
COMMAND_LINE = re.compile(r"\bcskpi(?: (?:" + "|".join(
    sorted({re.escape(p) for path in COMMANDS for p in path}, key=len, reverse=True))
    + r"))*")
OPTION = re.compile(r"(?<![A-Za-z0-9_-])--?[a-z][a-z0-9-]*")


def english_phrases(output: str, own: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The lines of ``output`` holding English phrases, with them; ``own`` is the user's."""
    text = output
    for value in sorted(own, key=len, reverse=True):  # as whole words
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(value)}(?![A-Za-z0-9_])", " ", text)
    text = OPTION.sub(" ", COMMAND_LINE.sub(" ", text))
    found = []
    for cell in BOX.split(text):
        found += [f"{m.group(0)!r} in {cell.strip()!r}" for m in RUN.finditer(cell)
                  if sum(w != w.upper() for w in m.group(0).split()) >= 2]
    return found


def raw_keys(output: str) -> list[str]:
    """Catalog keys shown as they are (a text missing from the catalogs)."""
    keys = set(catalog("en"))
    return sorted({w for w in re.findall(r"[\w.-]+", output) if w in keys})


def test_the_english_phrase_rule_finds_english_and_lets_data_and_commands_pass() -> None:
    assert english_phrases("错误: no scheme file or preset named 'x'")
    assert english_phrases("│ 选项 │ Show this message and exit. │")
    assert english_phrases("the QA rules中有未知的键 'name'")  # an acronym inside
    assert english_phrases("Usage: cskpi [OPTIONS]") == []  # a prefix alone: one word
    assert english_phrases("运行 'cskpi metrics --help' 查看帮助：reply_3min_rate、agents.csv") == []
    assert english_phrases("客服 A001 王芳 │ presale-standard │ CSV UTF-8 │ REST API") == []
    assert english_phrases("数据 just notes 里", {"just notes"}) == []
    assert raw_keys("错误: error.bad_period") == ["error.bad_period"]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: Any, env: dict[str, str | None] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env={**ENV_NO_LANG, **(env or {})},
                         catch_exceptions=False)


def test_every_command_option_and_argument_has_its_help_in_both_catalogs() -> None:
    en, zh = catalog("en"), catalog("zh_CN")
    declared = help_keys(typer.main.get_command(app))
    assert len(declared) > 150  # the tree was walked: commands and their parameters
    for where, key in declared.items():
        assert key is not None and key.startswith("cli."), f"{where}: help is not a catalog key"
        assert key in en and key in zh, f"{where}: {key} missing from the catalogs"


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\u2500-\u257f]+", "", text)


@pytest.mark.parametrize("how", ["option", "env"])
def test_help_of_every_command_is_chinese(runner: CliRunner, how: str) -> None:
    zh = catalog("zh_CN")
    root = typer.main.get_command(app)
    commands = dict(walk(root))
    for path in COMMANDS:
        if how == "option":  # --lang after the command, and (groups, the root) before it
            args = [*path, "--help", "--lang", "zh"]
            result = invoke(runner, *args)
        else:
            args = [*path, "--help"]
            result = invoke(runner, *args, env={"LANG": "zh_CN.UTF-8"})
        shown = f"cskpi {' '.join(args)}"
        assert result.exit_code == 0, (shown, result.output)
        out = result.output
        assert "用法：" in out and "选项" in out, shown
        key = help_keys(root)[" ".join(path) or "cskpi"]
        assert _squeezed(zh[key].split("\n\n")[0]) in _squeezed(out), shown
        if getattr(commands[path], "commands", None):
            assert "命令" in out, shown
        assert english_phrases(out) == [], (shown, english_phrases(out))
        assert raw_keys(out) == [], (shown, raw_keys(out))


def test_lang_may_stand_before_or_after_the_command(runner: CliRunner) -> None:
    for args in (["--lang", "zh", "metrics", "--help"], ["metrics", "--lang", "zh", "--help"],
                 ["metrics", "--help", "--lang=zh"], ["qa", "--lang", "zh", "hits", "--help"]):
        out = invoke(runner, *args).output
        assert "按客服、团队或店铺" in out or "质检命中" in out, args
    english = invoke(runner, "metrics", "--help", env={"LANG": "zh_CN.UTF-8", "CSKPI_LANG": "en"})
    assert "Compute the metric catalog" in english.output and "Usage:" in english.output
    assert "用法" not in english.output


WRONG_USAGE = [
    (["metrics", "--perod", "2026-10"], "没有选项 --perod"),
    (["explain"], "缺少选项 '--agent'"),
    (["validate"], "缺少参数 'folder'"),
    (["metrics", "--by", "city"], "“city”无效"),
    (["demo-data", "--out", "x", "--agents", "many"], "不是整数"),
    (["demo-data", "--out", "x", "--agents", "0"], "小于 1"),
    (["metric"], "是不是要用 'metrics'"),
    (["scheme", "chek"], "没有命令 'chek'"),
    (["validate", "a", "b"], "多余的参数"),
    (["curve"], "可选：duration、rounds、first_response"),
    (["metrics", "--period"], "需要一个值"),
]


@pytest.mark.parametrize(("args", "expected"), WRONG_USAGE)
def test_wrong_usage_is_told_in_chinese(runner: CliRunner, args: list[str],
                                        expected: str) -> None:
    result = invoke(runner, *args, env={"CSKPI_LANG": "zh"})
    assert result.exit_code == 2, result.output
    assert expected in result.output and "错误" in result.output
    assert english_phrases(result.output, {"x", "a", "b"}) == [], english_phrases(result.output)
    english = invoke(runner, *args, env={"CSKPI_LANG": "en"})
    assert english.exit_code == 2 and "Error" in english.output
    assert raw_keys(english.output) == [] and not re.search("[\u4e00-\u9fff]", english.output)


# ---------------------------------------------------------------------------------------
# everyday commands on a small generated shop


@pytest.fixture(scope="module")
def shop(runner: CliRunner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("shop")
    made = invoke(runner, "demo-data", "--out", root / "data", "--agents", "3", "--days", "3",
                  "--messages", "800", "--lang", "zh")
    assert made.exit_code == 0 and "演示店铺数据已写入" in made.output, made.output
    yield root


def _agents(folder: Path) -> set[str]:
    lines = (folder / "agents.csv").read_text("utf-8").splitlines()[1:]
    return {cell for line in lines for cell in line.split(",")[:2]}


def everyday(shop: Path) -> list[list[Any]]:
    """The commands a manager runs every month, then their commonest mistakes."""
    ws, data = shop / "ws.duckdb", shop / "data"
    w = ["-w", ws]
    return [
        ["validate", data],
        ["import", data, *w],
        ["import", data, *w],  # again: nothing new
        ["metrics", *w],
        ["explain", *w, "--agent", "A001", "--metric", "reply_3min_rate"],
        ["score", *w, "--scheme", "presale-standard", "--period", "2026-10"],
        ["scheme", "list"],
        ["scheme", "check", "presale-standard"],
        ["qa", "list"],
        ["qa", "check", "taobao-basic"],
        ["qa", "hits", *w, "--rules", "taobao-basic"],
        ["lost", *w],
    ]


def mistakes(shop: Path) -> list[list[Any]]:
    w = ["-w", shop / "ws.duckdb"]
    bad = shop / "bad.yaml"  # neither a scheme nor QA rules nor a taxonomy
    bad.write_text("name: x\nitems: 5\nrules:\n  - kind: phrases\n    key: [\n", "utf-8")
    wrong = shop / "wrong.yaml"
    wrong.write_text("name: x\nitems: 5\nrules:\n  - kind: pattern\n    key: k\n", "utf-8")
    return [
        ["scheme", "check", bad],
        ["scheme", "check", wrong],
        ["qa", "check", wrong],
        ["lost", *w, "--taxonomy", bad],
        ["lost", *w, "--taxonomy", wrong],
        ["metrics", *w, "--period", "2026-13"],
        ["metrics", *w, "--from", "2026-10-05"],
        ["metrics", *w, "--set", "reply_within_s=soon"],
        ["score", *w, "--scheme", "nope", "--period", "2026-10"],
        ["whatif"],
        ["explain", *w, "--agent", "Z9", "--metric", "reply_3min_rate"],
        ["lost", *w, "--relabels", shop / "missing.csv"],
    ]


def more(shop: Path) -> list[list[Any]]:
    """The other commands (slower: each computes the month again)."""
    w = ["-w", shop / "ws.duckdb"]
    return [
        ["metrics", *w, "--by", "shop", "--grain", "week"],
        ["compliance", *w],
        ["lost", *w, "--summary"],
        ["curve", *w, "--by", "rounds"],
        ["whatif", *w],
        ["whatif", *w, "--scheme", "presale-standard", "--edited", "presale-weighted-medals"],
        ["report", *w, "--scheme", "presale-standard", "--period", "2026-10",
         "--out", shop / "report.xlsx"],
        ["export", *w, "--parquet", shop / "parquet"],
        ["demo", "--out", shop / "demo", "--workspace", shop / "demo.duckdb", "--agents", "2",
         "--days", "2"],
    ]


def run(runner: CliRunner, shop: Path, commands: list[list[Any]],
        lang: str) -> list[tuple[str, Any]]:
    out = []
    for args in commands:
        result = invoke(runner, *args, "--lang", lang)
        shown = " ".join(str(a).replace(str(shop), "SHOP") for a in args)
        assert "Traceback" not in result.output, (shown, result.output)
        out.append((shown, result))
    return out


def assert_chinese(results: list[tuple[str, Any]], own: set[str]) -> None:
    for shown, result in results:
        assert english_phrases(result.output, own) == [], (
            shown, english_phrases(result.output, own))
        assert raw_keys(result.output) == [], (shown, raw_keys(result.output))


def test_everyday_commands_and_mistakes_speak_chinese(runner: CliRunner, shop: Path) -> None:
    own = _agents(shop / "data") | {str(shop)}
    done = run(runner, shop, everyday(shop), "zh")
    assert [r.exit_code for _, r in done] == [0] * len(done), [
        (shown, r.output) for shown, r in done if r.exit_code]
    assert "已导入到" in done[1][1].output and "没有需要导入的新内容" in done[2][1].output
    assert "接待会话数" in done[3][1].output and "考核得分" in done[5][1].output
    failed = run(runner, shop, mistakes(shop), "zh")
    assert all(r.exit_code in (1, 2) and "错误" in r.output for _, r in failed), [
        (shown, r.output) for shown, r in failed]
    assert_chinese(done + failed, own)
    for shown, result in run(runner, shop, mistakes(shop), "en"):  # English renders too
        assert "error" in result.output.lower() and raw_keys(result.output) == [], shown


@pytest.mark.slow
def test_the_other_commands_speak_chinese_and_english(runner: CliRunner, shop: Path) -> None:
    if not (shop / "ws.duckdb").exists():  # run alone
        invoke(runner, "import", shop / "data", "-w", shop / "ws.duckdb")
    done = run(runner, shop, more(shop), "zh")
    assert [r.exit_code for _, r in done] == [0] * len(done), [
        (shown, r.output) for shown, r in done if r.exit_code]
    own = _agents(shop / "data") | _agents(shop / "demo") | {str(shop)}
    assert_chinese(done, own)
    for path in (shop / "report.xlsx", shop / "demo.duckdb", shop / "parquet"):
        path.unlink() if path.is_file() else shutil.rmtree(path)
    shutil.rmtree(shop / "demo")
    for shown, result in run(runner, shop, everyday(shop)[1:] + more(shop), "en"):
        assert result.exit_code == 0 and raw_keys(result.output) == [], (shown, result.output)


# ---------------------------------------------------------------------------------------
# a broken folder

BROKEN: dict[str, str | bytes] = {
    "agents.csv": AGENTS_CSV,
    # a timestamp that is no time, one without its seconds' second digit
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,yesterday,,10.00\nO2,C2,2026-10-05 9:3,,12.00\n",
    # the required sender column missing
    "messages.csv": "session_id,ts,agent_id,customer_id,content\n"
                    "S1,2026-10-05 10:00:00,001,C1,hello there\n",
    # a GBK file (detected): an agent who is not on the roster, a status that is none
    "考勤.csv": codecs.encode("客服ID,日期,状态\n777,2026-10-05,迟到\n001,2026-10-05,迟到了\n",
                            "gbk"),
}


def _own(files: dict[str, str | bytes]) -> set[str]:
    found = set(files)
    for content in files.values():
        text = content if isinstance(content, str) else content.decode("gbk", "replace")
        found |= {cell for line in text.splitlines() for cell in line.split(",") if cell}
    return found


@pytest.mark.parametrize("env", [{}, {"LANG": "zh_CN.UTF-8"}], ids=["--lang", "LANG"])
def test_a_broken_folder_is_told_in_chinese(runner: CliRunner, tmp_path: Path,
                                            env: dict[str, str]) -> None:
    data = write_folder(tmp_path / "data", BROKEN)
    lang = [] if env else ["--lang", "zh"]
    own = _own(BROKEN) | {str(tmp_path)}
    validated = invoke(runner, "validate", data, *lang, env=env)
    assert validated.exit_code == 1, validated.output
    imported = invoke(runner, "import", data, "-w", tmp_path / "ws.duckdb", *lang, env=env)
    assert imported.exit_code == 1 and "未导入任何数据" in imported.output
    for result in (validated, imported):
        out = result.output
        assert "yesterday" in out and "777" in out and "sender" in out  # the problems found
        assert english_phrases(out, own) == [], english_phrases(out, own)
        assert raw_keys(out) == []
    english = invoke(runner, "validate", data, "--lang", "en")
    assert english.exit_code == 1 and raw_keys(english.output) == []
    assert "row 2" in english.output
