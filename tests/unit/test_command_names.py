"""The ops CLI, the Makefile and run.ps1 offer the same commands, and run.ps1 is well formed as far as a
machine without PowerShell can tell: PowerShell's tree-sitter grammar parses it without an error, and it
uses nothing PowerShell 5.1 lacks."""

import re

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

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


POWERSHELL = Parser(Language(tree_sitter_powershell.language()))


def parse_errors(script: str) -> list[str]:
    """Where the grammar found no valid PowerShell (ERROR) or had to assume a missing token (MISSING)."""
    errors: list[str] = []

    def visit(node: Node) -> None:
        if node.is_error or node.is_missing:
            line, column = node.start_point
            kind = f"MISSING {node.type!r}" if node.is_missing else "ERROR"
            errors.append(f"{kind} at line {line + 1}, column {column + 1}")
        if node.has_error:  # only the subtrees holding an error are walked
            for child in node.children:
                visit(child)

    visit(POWERSHELL.parse(script.encode()).root_node)
    return errors


def test_run_ps1_parses_without_errors():
    assert parse_errors(RUN_PS1) == []


@pytest.mark.parametrize(
    ("good", "broken"),
    [
        ("if (-not $fresh) { return }", "if (-not $fresh) { return "),  # an unclosed brace
        ('$Command = "help",', '$Command = "help"'),  # param( without the comma between parameters
        ("$Rest = @()\n)", "$Rest = @(\n)"),  # param( never closed
        ('"up"               = "the same', '"up"               "the same'),  # a hashtable entry without =
    ],
)
def test_a_broken_copy_of_run_ps1_has_parse_errors(good, broken):
    assert good in RUN_PS1
    assert parse_errors(RUN_PS1.replace(good, broken, 1))


def _code_only(script: str) -> str:
    """The script without comments, here-strings and string literals (PowerShell's quoting)."""
    script = re.sub(r"<#.*?#>", "", script, flags=re.S)
    script = re.sub(r'"(?:`.|[^"`])*"', '""', script)
    script = re.sub(r"'[^']*'", "''", script)
    return re.sub(r"#[^\n]*", "", script)


# The grammar is PowerShell 7's: it takes `&&`, `||`, `-Parallel` and `$IsWindows`, which 5.1 lacks.
@pytest.mark.parametrize(
    "construct", [r"\?\?", r"\?\.", r"&&", r"\|\|", r"\$IsWindows", r"\s\?\s[^:]+\s:\s", r"-Parallel"]
)
def test_run_ps1_uses_nothing_powershell_5_lacks(construct):
    assert not re.search(construct, _code_only(RUN_PS1)), construct


def test_run_ps1_starts_with_its_param_block():
    first = [n for n in POWERSHELL.parse(RUN_PS1.encode()).root_node.children if n.type != "comment"][0]
    assert first.type == "param_block"
