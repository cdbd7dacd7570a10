<#
.SYNOPSIS
  OnCall Platform on Windows PowerShell 5.1 and PowerShell 7: the commands of the ops CLI
  (`python -m scripts.ops`) and of the Makefile, by the same names.
.DESCRIPTION
  On Windows the native stack's servers (embedded PostgreSQL and Redis, Traefik) do not run, so the stack
  commands use docker compose there, and say so. Elsewhere they drive the native stack.
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File .\run.ps1 deploy   # start the stack, print the URLs and login
  .\run.ps1 scale 5             # five alert-ingestion replicas, live
  .\run.ps1 logs notifier -f    # follow one service's log
  .\run.ps1 full-demo           # the platform in seven narrated steps
  .\run.ps1 restore var\backups\oncall-20261207T031500Z.dump
#>
param(
    [Parameter(Position = 0)][string]$Command = "help",
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

$OnWindows = ($env:OS -eq "Windows_NT")
$Venv = ".venv"
$Py = if ($OnWindows) { "$Venv\Scripts\python.exe" } else { "$Venv/bin/python" }
$Stamp = Join-Path $Venv ".installed"

# Every command of the ops CLI (tests/unit/test_command_names.py keeps this list, the CLI's and the
# Makefile's the same), with its one-line help.
$Commands = [ordered]@{
    "deploy"           = "start the stack, wait until healthy, print the URLs and the first admin"
    "up"               = "the same as deploy"
    "build"            = "build the images when a Docker engine answers (else says so)"
    "down"             = "stop everything the stack started"
    "restart"          = "restart one service (or the whole stack): restart [service]"
    "clean"            = "stop the stack and delete var/ (asks unless --yes)"
    "status"           = "each process of the stack and its health"
    "health"           = "every component, PostgreSQL/Redis/Traefik included; fails naming any not healthy"
    "logs"             = "the logs of the stack or of one service: logs [service] [-f]"
    "scale"            = "live: N alert-ingestion replicas (default 3): scale [N]"
    "scale-down"       = "live: back to one alert-ingestion replica"
    "test-alert"       = "send one alert through the gateway and show its incident"
    "test-batch"       = "send N alerts (default 100) in batches: test-batch [N]"
    "webhook-add"      = "subscribe a URL to incident events: webhook-add URL"
    "webhooks"         = "list the webhook subscriptions"
    "analytics"        = "incident counts, MTTA and MTTR per service"
    "demo"             = "seed a demo on-call setup and fire a few alerts"
    "full-demo"        = "the platform in seven narrated steps, with evidence and a summary"
    "backup"           = "dump the database to var/backups/"
    "restore"          = "restore a dump into the stopped stack: restore FILE"
    "proto"            = "regenerate gRPC stubs into shared/gen/"
    "check-proto"      = "fail when committed stubs differ from proto/"
    "fmt"              = "format the code"
    "lint"             = "ruff check, ruff format --check, mypy"
    "security"         = "secret scan, bandit and dependency audit"
    "test"             = "unit, integration and end-to-end tests"
    "test-unit"        = "unit tests only"
    "test-integration" = "integration tests only"
    "test-e2e"         = "end-to-end tests through Traefik"
    "test-bench"       = "the benchmark's tests"
    "test-faults"      = "faults injected under re-sent alerts"
    "test-fuzz"        = "the fuzz tests"
    "render-compose"   = "regenerate config/traefik/compose/ from the Traefik templates"
    "bench"            = "benchmark ingestion through Traefik"
    "bench-median"     = "the benchmark three times, verdicts on the median"
    "bench-memory"     = "the benchmark, then two rounds of 100,000 alerts, RSS after each"
    "bench-live"       = "the console's live feed: 200 browsers on one web UI, 100 changes/s"
}
# The commands that act on the stack: on Windows they run against docker compose.
$StackCommands = @("deploy", "up", "down", "restart", "clean", "status", "health", "logs", "scale", "scale-down")

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Install {
    $fresh = (-not (Test-Path $Stamp)) -or
        ((Get-Item pyproject.toml).LastWriteTime -gt (Get-Item $Stamp).LastWriteTime) -or
        ((Get-Item constraints.txt).LastWriteTime -gt (Get-Item $Stamp).LastWriteTime)
    if (-not $fresh) { return }
    if (-not (Test-Path $Py)) { Invoke-Checked "python" @("-m", "venv", $Venv) }
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "--upgrade", "pip")
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "-c", "constraints.txt", "-e", ".[dev,native]")
    New-Item -ItemType File -Force $Stamp | Out-Null
}

if ($Command -eq "help") {
    "Usage: .\run.ps1 COMMAND [arguments]   (python -m scripts.ops COMMAND --help for its options)"
    "  install            create the virtualenv and install pinned dependencies"
    foreach ($name in $Commands.Keys) { "  {0,-18} {1}" -f $name, $Commands[$name] }
    exit 0
}
if ($Command -eq "install") { Install; exit 0 }
if (-not $Commands.Contains($Command)) {
    Write-Error "unknown command '$Command'; .\run.ps1 help lists them"
}

Install
$Arguments = @("-m", "scripts.ops")
if ($OnWindows -and ($StackCommands -contains $Command)) {
    Write-Host "Windows: the native stack's servers do not run here, so '$Command' uses docker compose."
    $Arguments += @("--mode", "compose")
}
Invoke-Checked $Py ($Arguments + @($Command) + $Rest)
