"""The ``diffplan`` command line: one command, a subcommand per stage of the pipeline.

Errors a user can cause end as one line on standard error and exit status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from diffplan.errors import UserError

# name → (module under diffplan.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "collect": ("collect", "collect a Minari dataset in a real environment (PointMaze, Pendulum, MuJoCo, any gym id)"),
    "train-prior": ("train_prior", "train the diffusion prior p(tau) on a Minari dataset (config + key=value)"),
    "train-return-model": ("train_return_model", "train the return model J(x_t, t) that guides plans (config + "
                                                  "key=value)"),
    "train-reward": ("train_reward", "learn a reward r_phi from demonstrations and unlabelled data (offline IRL)"),
    "inspect": ("inspect_dataset", "pack a Minari dataset as the trainers do and print a summary"),
    "train-rl": ("train_rl", "behaviour-prior offline RL: KL-regularised SAC or AWR/AWAC on a Minari dataset"),
    "plan": ("plan", "draw plans from a trained prior's posterior p(tau | O) for given starts and goals"),
    "evaluate": ("evaluate", "run a trained actor (a prior's planner, an RL policy) in the dataset's eval env"),
    "export": ("export", "write a trained model as a folder of safetensors and JSON (diffplan.from_pretrained)"),
    "pipeline": ("pipeline", "collect, train the prior, plan and evaluate; stages already done are skipped"),
    "quickstart": ("quickstart", "the embedded default: PointMaze U-Maze end to end on CPU (diffplan pipeline)"),
}


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: ...)`` to every option's help, unless the help states its default itself.

    An option whose default is None states it in words (``(default: the recipe's)``), since ``None`` says
    nothing to a user.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        if "(default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``diffplan`` parser; with ``only``, just that subcommand's options are defined (all are listed;
    ``only=""`` defines none, for the top-level help)."""
    parser = OneLineParser(
        prog="diffplan",
        description="Offline trajectory generation with diffusion planning: control as inference on "
                    "Minari datasets.",
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    commands = parser.add_subparsers(dest="command", metavar="command", parser_class=OneLineParser)
    commands.required = True
    for name, (module_name, summary) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary,
                                  formatter_class=DefaultsHelpFormatter)
        if only is None or name == only:
            module = importlib.import_module(f"diffplan.commands.{module_name}")
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first argument that is not an option), if it is one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in SUBCOMMANDS else None


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; ``key=value`` overrides may also follow the options (argparse alone stops at them)."""
    args, extra = parser.parse_known_args(argv)
    if extra and isinstance(getattr(args, "overrides", None), list) and all(
            "=" in item and not item.startswith("-") for item in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``diffplan`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # only the requested subcommand's module is imported (each pulls in torch, gymnasium, minari, ...)
    args = parse_arguments(build_parser(only=requested_command(argv) or ""), argv)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("diffplan")
    root.addHandler(handler)
    root.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        args.run(args)
    except UserError as error:
        sys.stderr.write(f"diffplan {args.command}: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"diffplan {args.command}: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
