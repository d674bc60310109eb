; Inno Setup 6 script: a per-user installer around dist\camtag (no admin rights needed).
; Called by build-bundle.ps1 -Installer:  iscc /DMyAppVersion=0.1.0 /DSourceDir=dist\camtag camtag.iss
#ifndef MyAppVersion
  #define MyAppVersion "0.0.0"
#endif
[Setup]
AppId={{6F1C2D4E-8A55-4C43-9B7B-CA3D7A6E0C11}
AppName=camtag
AppVersion={#MyAppVersion}
DefaultDirName={localappdata}\Programs\camtag
DefaultGroupName=camtag
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=camtag-{#MyAppVersion}-setup
Compression=lzma2
SolidCompression=yes
ChangesEnvironment=yes

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\camtag"; Filename: "{app}\camtag-app.exe"
Name: "{group}\camtag doctor"; Filename: "{cmd}"; Parameters: "/k ""{app}\camtag.exe"" doctor"

[Registry]
; put camtag.exe on the user's PATH for the command line
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}'))

[Code]
function NeedsAddPath(Param: string): boolean;
var OrigPath: string;
begin
  if not RegQueryStringValue(HKCU, 'Environment', 'Path', OrigPath) then begin Result := True; exit; end;
  Result := Pos(';' + Uppercase(Param) + ';', ';' + Uppercase(OrigPath) + ';') = 0;
end;
