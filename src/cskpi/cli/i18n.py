"""The command line in the reader's language: ``--help``, usage lines and Typer's own words.

Every text of ``--help`` is a catalog entry (``cli.en.json`` / ``cli.zh_CN.json``): a
command declares the key of its help (``help="cli.help.validate"``; the text's first
paragraph is its short help, ``cli.epilog.<path>`` its epilog when the catalog has one),
an option or argument the key of its own (``help="cli.opt.period"``).  :func:`localise`
puts the text of every key, in the invocation's language, on the click command tree
before anything is parsed: Typer shows ``--help`` while parsing, so the language must be
known first.  It is the command line's ``--lang`` wherever it stands (``cskpi --lang zh
metrics --help`` or ``cskpi metrics --help --lang zh``), else the environment's
(CSKPI_LANG, LANG … through :func:`cskpi.locale.default_lang`).

The words Typer prints around them (the panel titles, ``[default: …]``, ``Try … for
help.``; rich markup mode) are module constants of :mod:`typer.rich_utils`, set for the
invocation from ``cli.click.*`` entries; "Usage:" and the usage line's metavars come from
the context's formatter and the commands.  Wrong usage (an unknown option, a missing
argument, a bad value) is told again from the exception's fields through
``cli.usage_error.*``, so no English sentence of Typer's reaches a reader of Chinese.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import typer
import typer.rich_utils as rich_utils
from rich.text import Text
from typer.core import TyperGroup

from ..locale import Translator, speaking

try:  # Typer >= 0.26 carries its own click
    from typer import _click as click_api
except ImportError:  # pragma: no cover - older Typer on click
    import click as click_api  # type: ignore[no-redef]

HELP = "cli.help"
EPILOG = "cli.epilog"
HELP_OPTION = "cli.opt.help"

# the catalog key each command and parameter declared as its help, kept when the text
# replaces it (a tree may be localised again)
_KEYS: WeakKeyDictionary[Any, str] = WeakKeyDictionary()
# Typer's label of an option's kind of value (``<int range>``), likewise
_LABELS: WeakKeyDictionary[Any, str] = WeakKeyDictionary()

# rich_utils constants and their catalog entries
WORDS = {
    "ARGUMENTS_PANEL_TITLE": "cli.click.arguments",
    "OPTIONS_PANEL_TITLE": "cli.click.options",
    "COMMANDS_PANEL_TITLE": "cli.click.commands",
    "DEFAULT_STRING": "cli.click.default",
    "REQUIRED_LONG_STRING": "cli.click.required",
    "ENVVAR_STRING": "cli.click.envvar",
    "DEPRECATED_STRING": "cli.click.deprecated",
    "ABORTED_TEXT": "cli.click.aborted",
    "ERRORS_PANEL_TITLE": "error.prefix",
}


def argv_lang(args: Sequence[str]) -> str | None:
    """The ``--lang`` of a command line, wherever it stands (the last one wins)."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found


def walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of a click tree with its path (the root's is ``()``), groups first."""
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from walk(sub, (*path, name))


def help_keys(root: Any) -> dict[str, str | None]:
    """What every command and parameter of the tree declared as its help: a catalog key
    or, for one that declared none or plain text, ``None`` or that text (keyed by the
    command path, ``path --option`` for a parameter)."""
    found: dict[str, str | None] = {}
    for path, cmd in walk(root):
        name = " ".join(path) or "cskpi"
        found[name] = _KEYS.get(cmd, cmd.help)
        for param in cmd.params:
            label = param.opts[0] if param.param_type_name == "option" else param.name
            found[f"{name} {label}"] = _KEYS.get(param, param.help)
    return found


def _text(obj: Any, t: Translator) -> str | None:
    """The text of the key a command or parameter declared as its help, in ``t``'s
    language (what it declared, when that is no catalog key)."""
    if obj not in _KEYS:
        if obj.help is None:
            return None
        _KEYS[obj] = obj.help
    key = _KEYS[obj]
    return t(key) if key.startswith("cli.") and t.has(key) else obj.help


def _type_label(param: Any, ctx: Any, t: Translator) -> None:
    """An option's kind of value in the help (``<int range>``, ``<path>`` …) from
    ``cli.type.*`` (Typer shows an option's metavar instead when it has one)."""
    if param.param_type_name != "option" or not hasattr(param, "display_type"):
        return
    typer_label = _LABELS.setdefault(param, param.metavar or param.display_type(ctx))
    key = "cli.type." + re.sub(r"\W+", "_", typer_label.strip("<>")).strip("_")
    param.metavar = f"<{t(key)}>" if t.has(key) else typer_label


def localise(root: Any, t: Translator) -> Any:
    """Put the catalog texts of ``t``'s language on every command and parameter of a click
    tree (help, short help, epilog, the ``--help`` option, usage metavars); the tree."""
    for _path, cmd in walk(root):
        cmd.help = _text(cmd, t)
        key = _KEYS.get(cmd)
        if cmd.help is not None:
            cmd.short_help = cmd.help.split("\n\n")[0]
        if key and key.startswith(HELP):
            epilog = EPILOG + key[len(HELP):]
            cmd.epilog = t(epilog) if t.has(epilog) else None
        cmd.options_metavar = t("cli.click.options_metavar")
        if isinstance(cmd, TyperGroup):
            cmd.subcommand_metavar = t("cli.click.command_metavar")
        cmd.context_class = Context
        ctx = click_api.Context(cmd, info_name=cmd.name)
        for param in cmd.params:
            param.help = _text(param, t)
            _type_label(param, ctx, t)
        option = cmd.get_help_option(ctx)  # click makes it on demand
        if option is not None:
            option.help = t(HELP_OPTION)
            _type_label(option, ctx, t)
    return root


def _folding(make: Any) -> Any:
    """Typer's help texts, folded rather than cut short with "…" where a line has no
    space to break at (Chinese has none between words)."""
    def make_text(**kwargs: Any) -> Any:
        rendered = make(**kwargs)
        if isinstance(rendered, Text):
            rendered.overflow = "fold"
        return rendered
    return make_text


@contextmanager
def typer_words(t: Translator) -> Iterator[None]:
    """Typer's own words (panel titles, ``[default: …]`` …) in ``t``'s language, within."""
    saved = {name: getattr(rich_utils, name) for name in (*WORDS, "RICH_HELP", "_make_rich_text")
             if hasattr(rich_utils, name)}
    try:
        for name, key in WORDS.items():
            if name in saved:
                setattr(rich_utils, name, t(key))
        if "RICH_HELP" in saved:
            rich_utils.RICH_HELP = t("cli.click.try",
                                     hint="[blue]'{command_path} {help_option}'[/]")
        if "_make_rich_text" in saved:
            rich_utils._make_rich_text = _folding(saved["_make_rich_text"])
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


class Formatter(click_api.HelpFormatter):
    """Usage lines start with the reader's "Usage:"."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = Translator()("cli.click.usage")
        super().write_usage(prog, args, prefix)


class Context(typer.Context):
    formatter_class = Formatter


# wrong usage as Typer words it, when no field of the exception tells it
_PATTERNS = (
    (re.compile(r"No such command (?P<name>.+?)\.(?: Did you mean (?P<matches>.+)\?)?$", re.S),
     "cli.usage_error.no_such_command"),
    (re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<args>.*)\)$", re.S),
     "cli.usage_error.extra_args"),
    (re.compile(r"Missing command\.?$"), "cli.usage_error.missing_command"),
)


def _listed(values: Sequence[str], t: Translator) -> str:
    return ("、" if t.lang == "zh_CN" else ", ").join(values)


def _choices(param: Any) -> list[str]:
    desc = getattr(param, "type_descriptor", None)
    choices = getattr(desc, "choices", None) or getattr(getattr(param, "type", None),
                                                        "choices", None) or ()
    return [str(getattr(c, "value", c)) for c in choices]


def _param_hint(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    if hint is None and getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    return hint or ""


def _bad_value(exc: Any, t: Translator) -> str:
    param = _param_hint(exc)
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []
    first = errors[0] if errors else {}
    value = first.get("input")
    choices = _choices(getattr(exc, "param", None))
    if choices and value is not None:
        return t("cli.usage_error.not_a_choice", param=param, value=value,
                 choices=_listed(choices, t))
    key = f"cli.usage_error.value.{first.get('type')}"
    if value is not None and t.has(key):
        limits = {k: v for k, v in (first.get("ctx") or {}).items()
                  if isinstance(v, int | float | str)}
        return t(key, **limits, param=param, value=value)
    return t("cli.usage_error.bad_value", param=param)


def usage_error_text(exc: Any, t: Translator) -> str:
    """What a click usage error says, in ``t``'s language."""
    errors = click_api.exceptions
    if isinstance(exc, errors.NoSuchOption):
        text = t("cli.usage_error.no_such_option", option=exc.option_name)
        if exc.possibilities:
            text += t("cli.usage_error.possible", options=_listed(sorted(exc.possibilities), t))
        return text
    if isinstance(exc, errors.MissingParameter):
        kind = exc.param_type or getattr(exc.param, "param_type_name", None) or "parameter"
        key = f"cli.usage_error.missing_{kind}"
        text = t(key if t.has(key) else "cli.usage_error.missing_parameter",
                 param=_param_hint(exc))
        choices = _choices(exc.param)
        return text + (t("cli.usage_error.choose", choices=_listed(choices, t)) if choices
                       else "")
    if isinstance(exc, errors.BadParameter):
        return _bad_value(exc, t)
    if isinstance(exc, errors.BadOptionUsage):
        key = ("cli.usage_error.takes_no_value" if "does not take" in exc.message
               else "cli.usage_error.needs_value")
        return t(key, option=exc.option_name)
    for pattern, key in _PATTERNS:
        match = pattern.match(exc.message)
        if match:
            groups = match.groupdict()
            matches = groups.pop("matches", None)
            text = t(key, **{k: v or "" for k, v in groups.items()})
            return text + (t("cli.usage_error.did_you_mean", matches=matches) if matches
                           else "")
    return t("cli.usage_error.other", detail=exc.format_message())


class LocalisedUsageError(click_api.exceptions.UsageError):
    """A usage error told in the reader's language (Typer prints it with usage and hint)."""

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:  # without rich
        t = Translator()
        if self.ctx is not None:
            hint = f"'{self.ctx.command_path} {self.ctx.help_option_names[0]}'"
            typer.echo(f"{self.ctx.get_usage()}\n{t('cli.click.try', hint=hint)}", err=True)
        typer.echo(f"{t('error.prefix')}: {self.message}", err=True)


@contextmanager
def _told_in_language() -> Iterator[None]:
    errors = click_api.exceptions
    try:
        yield
    except errors.UsageError as exc:
        if isinstance(exc, LocalisedUsageError) or type(exc).__name__ == "NoArgsIsHelpError":
            raise
        raise LocalisedUsageError(usage_error_text(exc, Translator()), exc.ctx) from exc


class CskpiGroup(TyperGroup):
    """The ``cskpi`` command: decides the language from the command line first, then
    parses in it (help, usage, wrong-usage errors)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        lang = argv_lang(argv)
        with speaking(lang):
            t = Translator(lang)
            localise(self, t)
            with typer_words(t):
                return super().main(argv, prog_name, complete_var, standalone_mode,
                                    windows_expand_args, **extra)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        with _told_in_language():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _told_in_language():
            return super().invoke(ctx)
