"""The command line's arguments: ``--help`` of every subcommand explains every option and shows its default;
``key=value`` overrides may also follow the options."""

import argparse

import pytest

from diffplan.cli import SUBCOMMANDS, build_parser, parse_arguments


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def has_default(action: argparse.Action) -> bool:
    """Whether the option can be left out (required positionals have no default to show)."""
    if action.option_strings:
        return True
    return action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE)


@pytest.mark.parametrize("name", [None, *SUBCOMMANDS])
def test_every_option_has_help_that_shows_its_default(name):
    parser = build_parser()
    if name is not None:
        parser = subparsers(parser)[name]
    formatter = parser._get_formatter()
    gaps = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        label = "/".join(action.option_strings) or action.dest
        if not (action.help and action.help.strip()):
            gaps.append(f"{label}: no help text")
        elif has_default(action):
            shown = formatter._expand_help(action)
            if "(default" not in shown:
                gaps.append(f"{label}: the help does not show the default")
            elif "(default: None)" in shown:
                gaps.append(f"{label}: the default None says nothing; state it in the help text")
    assert not gaps, f"diffplan {name or ''}: " + "; ".join(gaps)
    assert parser.format_help()  # renders (a stray % in a help text would raise here)

def test_every_subcommand_is_registered():
    assert set(subparsers(build_parser())) == set(SUBCOMMANDS)


def test_overrides_may_follow_the_options(capsys):
    args = parse_arguments(build_parser(), ["evaluate", "run", "episodes=2", "--config", "c.yaml", "seed=3"])
    assert args.overrides == ["episodes=2", "seed=3"] and args.config == "c.yaml"
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(build_parser(), ["evaluate", "run", "--config", "c.yaml", "--bogus", "seed=3"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --bogus seed=3" in capsys.readouterr().err
