<#
.SYNOPSIS
  OnCall Platform tasks on Windows PowerShell, the same targets as the Makefile.
.EXAMPLE
  ./run.ps1 up        # virtualenv, embedded PostgreSQL/Redis, Traefik, all services
  ./run.ps1 full-demo # `up`, then a seeded demo and a few alerts; prints the dashboard URL and login
  ./run.ps1 test      # unit, integration and end-to-end tests
  ./run.ps1 restore var/backups/oncall-20261207T031500Z.dump  # `make restore FILE=…`
#>
param([Parameter(Position = 0)][string]$Target = "help", [Parameter(Position = 1)][string]$File = "")
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

$Venv = ".venv"
$Py = if ($IsWindows -or $env:OS -eq "Windows_NT") { "$Venv\Scripts\python.exe" } else { "$Venv/bin/python" }
$Stamp = Join-Path $Venv ".installed"

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Install {
    $fresh = -not (Test-Path $Stamp) -or
        (Get-Item pyproject.toml).LastWriteTime -gt (Get-Item $Stamp).LastWriteTime -or
        (Get-Item constraints.txt).LastWriteTime -gt (Get-Item $Stamp).LastWriteTime
    if (-not $fresh) { return }
    if (-not (Test-Path $Py)) { Invoke-Checked "python" @("-m", "venv", $Venv) }
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "--upgrade", "pip")
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "-c", "constraints.txt", "-e", ".[dev,native]")
    New-Item -ItemType File -Force $Stamp | Out-Null
}

$Targets = [ordered]@{
    "help"             = { $Targets.Keys | ForEach-Object { "  $_" } }
    "install"          = { Install }
    "proto"            = { Install; Invoke-Checked "bash" @("scripts/gen_proto.sh") }
    "check-proto"      = { Install; Invoke-Checked $Py @("-m", "pytest", "-q", "tests/unit/test_generated_stubs.py") }
    "lint"             = { Install; Invoke-Checked $Py @("-m", "ruff", "check", "shared", "services", "scripts", "tests")
                           Invoke-Checked $Py @("-m", "ruff", "format", "--check", "shared", "services", "scripts", "tests") }
    "test"             = { Install; Invoke-Checked $Py @("scripts/run_tests.py") }
    "test-unit"        = { Install; Invoke-Checked $Py @("scripts/run_tests.py", "tests/unit") }
    "test-integration" = { Install; Invoke-Checked $Py @("scripts/run_tests.py", "tests/integration") }
    "test-e2e"         = { Install; Invoke-Checked $Py @("scripts/run_tests.py", "tests/e2e") }
    "test-bench"       = { Install; Invoke-Checked $Py @("scripts/run_tests.py", "tests/bench") }
    "test-faults"      = { Install; Invoke-Checked $Py @("-m", "scripts.faults") }
    "test-fuzz"        = { Install
                           if (-not $env:FUZZ_EXAMPLES) { $env:FUZZ_EXAMPLES = "200" }
                           Invoke-Checked $Py @("scripts/run_tests.py", "--timeout", "3600",
                               "tests/integration/test_fuzz_apis.py", "tests/integration/test_fuzz_dashboard.py") }
    "up"               = { Install; Invoke-Checked $Py @("-m", "scripts.stack", "up") }
    "full-demo"        = { Install; Invoke-Checked $Py @("-m", "scripts.demo") }
    "down"             = { if (Test-Path $Py) { Invoke-Checked $Py @("-m", "scripts.stack", "down") } }
    "status"           = { Install; Invoke-Checked $Py @("-m", "scripts.stack", "status") }
    "backup"           = { Install; Invoke-Checked $Py @("-m", "scripts.backup", "dump") }
    "restore"          = { Install
                           if (-not $File) { Write-Error "usage: ./run.ps1 restore var/backups/oncall-….dump" }
                           Invoke-Checked $Py @("-m", "scripts.backup", "restore", $File) }
    "render-compose"   = { Install; Invoke-Checked $Py @("-m", "scripts.stack", "render-compose") }
    "bench"            = { Install; Invoke-Checked $Py @("-m", "scripts.bench") }
    "bench-median"     = { Install; Invoke-Checked $Py @("-m", "scripts.bench", "--repeat", "3") }
    "bench-memory"     = { Install; Invoke-Checked $Py @("-m", "scripts.bench", "--volume", "100000") }
}

if (-not $Targets.Contains($Target)) {
    Write-Error "unknown target '$Target'; ./run.ps1 help lists them"
}
& $Targets[$Target]
