"""The public API: every name a package re-exports resolves, from a fresh interpreter, and ``import diffplan``
is light (the heavy modules load on first use)."""

import subprocess
import sys

import pytest

PACKAGES = ["diffplan", "diffplan.data", "diffplan.prior", "diffplan.inference", "diffplan.planning",
            "diffplan.evaluation", "diffplan.training", "diffplan.irl", "diffplan.rl", "diffplan.exact"]


def fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_exported_name_resolves_in_a_fresh_interpreter():
    # one interpreter per package's first touch would be slow; the order below still starts each package cold
    out = fresh("import importlib\n"
                f"for package in {PACKAGES!r}:\n"
                "    module = importlib.import_module(package)\n"
                "    for name in module.__all__:\n"
                "        assert getattr(module, name) is not None, (package, name)\n"
                "    print(package, len(module.__all__))\n")
    assert len(out.splitlines()) == len(PACKAGES)


def test_no_lazily_exported_name_is_also_a_submodule():
    """Importing a submodule binds its name on the package, which would hide a lazy export of the same name."""
    import importlib
    import pkgutil

    for package in PACKAGES:
        module = importlib.import_module(package)
        public = getattr(module, "PUBLIC", {})  # diffplan.exact imports eagerly and may shadow its modules
        clashes = set(public) & {info.name for info in pkgutil.iter_modules(module.__path__)}
        assert not clashes, f"{package}: {sorted(clashes)} name both an export and a module; rename the module"


@pytest.mark.parametrize("module", ["diffplan.planning.diffusion_planner", "diffplan.irl.airl_learner",
                                    "diffplan.commands.plan", "diffplan.commands.train_reward", "diffplan.pretrained"])
def test_modules_import_cold_without_cycles(module):
    fresh(f"import {module}")


def test_import_diffplan_is_light():
    assert fresh("import sys, diffplan; print('torch' in sys.modules)").strip() == "False"
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        import diffplan

        diffplan.nothing_here  # noqa: B018
