"""The conventions people expect of a command: --version, defaults in the help, quiet broken
pipes, progress on long work, shell completion, and one sentence for a missing optional part."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitnet.cli import COMMANDS, all_parsers, build_parser
from digitnet.version import __version__

DIGITNET = [sys.executable, "-m", "digitnet"]


def test_version() -> None:
    proc = subprocess.run([*DIGITNET, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"digitnet {__version__}"


def test_every_option_s_help_shows_its_default() -> None:
    parsers = all_parsers(build_parser())
    assert len(parsers) >= len(COMMANDS) + 6  # the commands and show's pictures
    checked = 0
    for parser in parsers:
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._HelpAction | argparse._VersionAction):
                continue
            if action.default in (None, False, "") and action.dest not in (
                "learning_rate",
                "epochs",
                "cost",
                "optimizer",
            ):
                continue  # off unless given, or a recipe option with the default in its help
            text = formatter._get_help_string(action) or ""  # type: ignore[attr-defined]
            assert "default" in text, f"{parser.prog} {action.option_strings[-1]}"
            checked += 1
    assert checked >= 20, checked


def test_train_help_shows_the_defaults_the_issue_missed() -> None:
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()  # type: ignore[union-attr]
    for words in (
        "(default: cross_entropy)",
        "(default: sgd)",
        "(default: 5)",
        "(default: deslant)",
    ):
        assert words in " ".join(text.split()), words


def test_train_help_describes_the_recipe_it_runs() -> None:
    # The description once promised Adam and distortions after the default had become plain
    # gradient descent without them, and printed "96%%": it is now written from the preset.
    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()  # type: ignore[union-attr]
    words = " ".join(text.split())
    assert "%%" not in words and "Adam" not in words
    assert "plain gradient descent with learning rate 1 and cosine decay" in words
    assert "no random distortions, deslanted digits, 5 epochs" in words


def test_a_closed_pipe_ends_quietly() -> None:
    # `true` exits at once, so the pipe is closed by the time digitnet writes its answer.
    script = f"set -o pipefail; {sys.executable} -m digitnet evaluate --json | true"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert proc.returncode in (0, 141), proc.stderr
    assert proc.stderr == ""


def test_a_reader_that_stops_early_ends_quietly() -> None:
    script = f"set -o pipefail; {sys.executable} -m digitnet evaluate | head -n 1"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert proc.returncode in (0, 141) and proc.stderr == ""
    assert proc.stdout.startswith("video: Network(784-16-16-10")


def test_the_report_reports_its_progress(tmp_path: Path) -> None:
    from digitnet import Network
    from digitnet.data import load_mnist
    from digitnet.report import STEPS, write_report

    test = load_mnist().test
    seen: list[str] = []
    write_report(
        Network([784, 8, 10], seed=0),
        tmp_path / "r.html",
        images=test.images[:300],
        labels=test.labels[:300],
        progress=seen.append,
    )
    assert len(seen) == STEPS and len(set(seen)) == STEPS
    assert seen[0] == "summary" and "hidden neurons" in seen[-1]


@pytest.mark.parametrize(
    "argv, done",
    [
        (["report", "--no-features", "-o", "{out}.html"], ["5/5", "weights"]),
        (["show", "weights", "wide", "-o", "{out}.png"], ["3/3", "show weights"]),
    ],
)
def test_long_commands_draw_a_progress_bar_on_a_terminal(
    argv: list[str], done: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("pty")
    argv = [a.format(out=tmp_path / "out") for a in argv]
    child = (
        "import fcntl, struct, sys, termios; "
        "fcntl.ioctl(2, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0)); "
        f"from digitnet.cli import main; sys.exit(main({argv!r}))"
    )
    code = f"import pty, sys; sys.exit(pty.spawn([sys.executable, '-c', {child!r}]) >> 8)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout
    for words in done:
        assert words in proc.stdout, proc.stdout
    assert len(list(tmp_path.iterdir())) == 1


def completions(line: str, tmp_path: Path) -> list[str]:
    """What the shell would offer after ``line`` (argcomplete's protocol, as bash uses it)."""
    pytest.importorskip("argcomplete")
    out = tmp_path / "completions.txt"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
    }
    subprocess.run([*DIGITNET], env=env, capture_output=True, text=True, timeout=60)
    return [c.strip() for c in out.read_text().split("\n")] if out.exists() else []


def test_shell_completion_offers_commands_and_options(tmp_path: Path) -> None:
    assert set(COMMANDS) <= set(completions("digitnet ", tmp_path))
    assert "--learning-rate" in completions("digitnet train --lea", tmp_path)
    assert {"weights", "features"} <= set(completions("digitnet show ", tmp_path))


BLOCK = "import sys; [sys.modules.__setitem__(m, None) for m in {mods!r}]; "


def without(modules: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the command as if ``modules`` were not installed."""
    code = BLOCK.format(mods=modules) + f"from digitnet.cli import main; sys.exit(main({argv!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_the_core_imports_without_the_optional_parts() -> None:
    code = BLOCK.format(mods=["matplotlib", "fastapi", "uvicorn", "starlette", "pydantic"]) + (
        "import digitnet, digitnet.cli, digitnet.runner, digitnet.inspection; "
        "from digitnet.cli import main; sys.exit(main(['--help']))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "missing, argv, words",
    [
        (
            ["matplotlib"],
            ["show", "weights", "-o", "{tmp}/w.png"],
            "pip install 'digitnet[pictures]'",
        ),
        (["matplotlib"], ["report", "-o", "{tmp}/r.html"], "pip install 'digitnet[pictures]'"),
        (["fastapi"], ["serve", "--no-browser"], "pip install 'digitnet[web]'"),
        (["uvicorn"], ["serve", "--no-browser"], "pip install 'digitnet[web]'"),
        (["PIL"], ["predict", "{tmp}/x.png"], "pip install 'digitnet[images]'"),
    ],
)
def test_a_missing_optional_part_is_named_in_one_sentence(
    missing: list[str], argv: list[str], words: str, tmp_path: Path
) -> None:
    proc = without(missing, *[a.format(tmp=tmp_path) for a in argv])
    assert proc.returncode == 2
    assert proc.stderr.startswith("digitnet: error: ") and proc.stderr.count("\n") == 1
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_command_runs_or_explains_without_the_optional_parts(tmp_path: Path) -> None:
    missing = ["matplotlib", "fastapi", "uvicorn", "onnx"]
    for argv in (
        ["info"],
        ["evaluate", "--json"],
        ["train", "--epochs", "1", "--limit", "500", "-q", "-o", str(tmp_path / "m.safetensors")],
    ):
        proc = without(missing, *argv)
        assert proc.returncode == 0, (argv, proc.stderr)
    for argv in (["show", "curves"], ["report"], ["serve"], ["export", "-o", "x.onnx"]):
        proc = without(missing, *argv)
        assert proc.returncode == 2 and "pip install" in proc.stderr, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_the_server_socket_sends_answers_without_delay() -> None:
    import socket

    from digitnet.cli.serve import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
