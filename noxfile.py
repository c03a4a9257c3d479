"""Developer tasks. ``python3 -m nox`` runs the default sessions: tests, arq, lint, typing, docs."""

from __future__ import annotations

import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "arq", "lint", "typing", "docs"]
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")
# Python 3.11 is the floor and what CI has; newer ones are added when this machine has them.
EXTRA_PYTHONS = [v for v in ("3.12", "3.13") if shutil.which(f"python{v}")]


def _install(session: nox.Session, *groups: str, extras: str = "") -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, *groups))
    session.install("-e", f".{extras}")


def _pytest(session: nox.Session, *paths: str) -> None:
    # Any non-zero exit fails the session, including pytest's 5 ("no tests collected"):
    # a suite that runs nothing must never pass.
    session.run("pytest", *paths, *session.posargs, env={"PYTHONDEVMODE": "1"})


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The test suite on Python 3.11, against the emulator on loopback."""
    _install(session, "test", extras="[cli]")
    _pytest(session)


@nox.session(python="3.11")
def arq(session: nox.Session) -> None:
    """The arq worker of the scaling-out guide on real arq workers (arq needs redis-py < 6)."""
    _install(session, "test", "arq", extras="[cli]")
    _pytest(session, "tests/docs/test_docs_arq_worker.py")


@nox.session(python=EXTRA_PYTHONS or ["3.12", "3.13"], default=False)
def tests_newer(session: nox.Session) -> None:
    """The test suite on newer Pythons found on this machine (not run by default)."""
    _install(session, "test", extras="[cli]")
    _pytest(session)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the import-linter layers contract."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # import-linter reads the source tree (the package need not be installed).
    session.run("lint-imports", env={"PYTHONPATH": "."})


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """mypy --strict over the package, tests, benchmarks and doc examples."""
    _install(session, "typing", "test", "bench", extras="[cli]")
    # arq's types only: its runtime pin (redis-py < 6) would hold this environment's redis-py back.
    session.install("--no-deps", *nox.project.dependency_groups(PYPROJECT, "arq"))
    session.run("mypy", "--strict")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the Sphinx site with warnings as errors, run its doctests, and check that the
    reference documents every public name (against the objects.inv just built).

    Offline: intersphinx reads the inventories vendored in docs/_inventories."""
    _install(session, "docs", extras="[cli,otel,redis,spec]")
    shutil.rmtree("docs/_build", ignore_errors=True)
    session.run(
        "sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )
    session.run(
        "sphinx-build", "-n", "-W", "--keep-going", "-b", "doctest", "docs", "docs/_build/doctest"
    )
    session.run(
        "pytest",
        "tests/docs/test_api_reference.py",
        env={"CONVERSATIONS_ASYNC_DOCS_INVENTORY": "docs/_build/html/objects.inv"},
    )


@nox.session(python="3.11", default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against bare aiohttp and the official twilio SDK (docs/benchmarks.md).

    Not run by default: a full run takes minutes and wants a quiet machine. Arguments after
    ``--`` go to the harness, e.g. ``nox -s bench -- --quick`` or ``-- -n 5000 -r 5``.
    """
    _install(session, "test", "bench")
    session.install("twilio")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python="3.11", default=False)
def throughput(session: nox.Session) -> None:
    """How well the limiters use the account's cap: the grid, the moving cap and its plot
    (docs/benchmarks.md). Arguments after ``--`` go to ``python -m benchmarks.throughput``."""
    _install(session, "test", "bench", extras="[redis]")
    session.run("python", "-m", "benchmarks.throughput", *session.posargs)


@nox.session(python="3.11", default=False)
def coverage(session: nox.Session) -> None:
    """The tests with branch coverage."""
    _install(session, "test", extras="[cli]")
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env={"PYTHONDEVMODE": "1"})
    session.run("coverage", "report", "--show-missing", "--fail-under=85")
