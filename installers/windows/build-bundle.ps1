# Build the Windows x86-64 onedir bundle of camtag's base install (no torch, no llama.cpp).
#   powershell -ExecutionPolicy Bypass -File installers\windows\build-bundle.ps1
# Output: dist\camtag\camtag.exe (console: CLI and `camtag app`), dist\camtag\camtag-app.exe (no
# console window; double-click/Start-menu target), dist\camtag\camtag-qtprobe.exe, and
# dist\camtag-<version>-windows-x86_64.zip. Needs Python 3.11+ x64 from python.org (py launcher).
# Optional: -Installer builds dist\camtag-<version>-setup.exe with Inno Setup 6 (iscc on PATH).
param(
    [string]$Python = "py -3.11",
    [string]$Venv = "$env:LOCALAPPDATA\camtag\bundle-venv",
    [string]$PyInstallerVersion = "6.22.3",
    [switch]$Installer
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
$Dist = "$Root\dist"

if (-not (Test-Path "$Venv\Scripts\python.exe")) {
    Invoke-Expression "$Python -m venv `"$Venv`""
    & "$Venv\Scripts\python.exe" -m pip install -q --upgrade pip
}
$py = "$Venv\Scripts\python.exe"
$deps = & $py "$Root\installers\common\base_requirements.py" "$Root\pyproject.toml" demo
& $py -m pip install -q "pyinstaller==$PyInstallerVersion" @deps
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

# the .ico comes from resources\icons\camtag.svg when it is not there yet (Qt renders the SVG)
$ico = "$Root\installers\common\camtag.ico"
if (-not (Test-Path $ico)) {
    & $py -c @"
import sys
from PySide6.QtGui import QGuiApplication, QIcon
app = QGuiApplication(['x', '-platform', 'offscreen'])
QIcon(r'$Root\resources\icons\camtag.svg').pixmap(256, 256).save(r'$ico', 'ICO')
"@
}

& $py -m PyInstaller --noconfirm --clean --log-level WARN --distpath $Dist --workpath "$Root\build\pyinstaller" "$Root\installers\common\camtag.spec"
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

$version = & $py -c "import sys; sys.path.insert(0, r'$Root\app'); import camtag; print(camtag.__version__)"
$size = (Get-ChildItem -Recurse "$Dist\camtag" | Measure-Object -Property Length -Sum).Sum / 1MB
"bundle size: {0:N0} MB" -f $size

# smoke test: version, headless demo, offscreen window
$env:QT_QPA_PLATFORM = "offscreen"
$tmp = New-Item -ItemType Directory -Path (Join-Path $env:TEMP ("camtag-smoke-" + [guid]::NewGuid()))
$env:CAMTAG_DATA_DIR = "$tmp\data"
& "$Dist\camtag\camtag.exe" --version; if ($LASTEXITCODE -ne 0) { throw "--version failed" }
& "$Dist\camtag\camtag.exe" demo --headless --out "$tmp\demo" --library "$tmp\library.sqlite"
if ($LASTEXITCODE -ne 0) { throw "demo failed" }
& "$Dist\camtag\camtag-qtprobe.exe"; if ($LASTEXITCODE -ne 0) { throw "window probe failed" }
Remove-Item Env:QT_QPA_PLATFORM, Env:CAMTAG_DATA_DIR
Remove-Item -Recurse -Force $tmp

Compress-Archive -Force -Path "$Dist\camtag" -DestinationPath "$Dist\camtag-$version-windows-x86_64.zip"
if ($Installer) {
    iscc /DMyAppVersion=$version /DSourceDir="$Dist\camtag" /O"$Dist" "$PSScriptRoot\camtag.iss"
    if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
}
