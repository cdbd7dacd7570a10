"""The ops CLI, the Makefile and run.ps1 offer the same commands, and run.ps1 is well formed as far as a
machine without PowerShell can tell (balanced brackets outside strings, nothing PowerShell 5.1 lacks)."""

import re

import pytest

from scripts.devstack.settings import ROOT
from scripts.ops import cli

# What the shims do before the CLI exists (a virtualenv) or without it.
SHIM_ONLY = {"help", "install"}
RUN_PS1 = (ROOT / "run.ps1").read_text()


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z0-9-]+):.*## ", text, flags=re.M))


def run_ps1_commands() -> set[str]:
    table = re.search(r"\$Commands = \[ordered\]@\{\n(.*?)\n\}", RUN_PS1, flags=re.S)
    assert table, "run.ps1 has no $Commands table"
    return set(re.findall(r'^\s+"([a-z0-9-]+)"\s+=', table.group(1), flags=re.M))


def test_makefile_and_run_ps1_offer_every_cli_command_and_no_other():
    commands = set(cli.command_names())
    assert makefile_targets() - SHIM_ONLY == commands
    assert run_ps1_commands() == commands


def test_run_ps1_stack_commands_are_cli_commands():
    listed = re.search(r"\$StackCommands = @\(([^)]*)\)", RUN_PS1)
    assert listed
    assert set(re.findall(r'"([a-z0-9-]+)"', listed.group(1))) <= set(cli.command_names())


def _code_only(script: str) -> str:
    """The script without comments, here-strings and string literals (PowerShell's quoting)."""
    script = re.sub(r"<#.*?#>", "", script, flags=re.S)
    script = re.sub(r'"(?:`.|[^"`])*"', '""', script)
    script = re.sub(r"'[^']*'", "''", script)
    return re.sub(r"#[^\n]*", "", script)


def test_run_ps1_brackets_balance():
    stack = []
    pairs = {")": "(", "}": "{", "]": "["}
    for index, char in enumerate(_code_only(RUN_PS1)):
        if char in "({[":
            stack.append(char)
        elif char in pairs:
            assert stack and stack.pop() == pairs[char], f"unbalanced {char!r} at {index}"
    assert stack == []


@pytest.mark.parametrize(
    "construct", [r"\?\?", r"\?\.", r"&&", r"\|\|", r"\$IsWindows", r"\s\?\s[^:]+\s:\s", r"-Parallel"]
)
def test_run_ps1_uses_nothing_powershell_5_lacks(construct):
    assert not re.search(construct, _code_only(RUN_PS1)), construct


def test_run_ps1_starts_with_its_param_block():
    code = _code_only(RUN_PS1).lstrip()
    assert code.startswith("param(")
