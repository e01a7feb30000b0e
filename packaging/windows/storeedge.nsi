; The storeedge installer for Windows (64-bit), built with NSIS 3 by
; packaging/build.sh:
;
;   makensis -DVERSION=1.2.3 -DVIVERSION=1.2.3.0 -DEXE=storeedge.exe
;            -DCONFIG=storeedge.toml -DEXAMPLE=storeedge.example.toml
;            -DREADME=README.md -DOUTFILE=setup.exe storeedge.nsi
;
; It installs storeedge.exe in Program Files, puts a first config in
; %ProgramData%\storeedge\storeedge.toml (never replacing one that is there),
; registers the service "storeedge" (LocalSystem, automatic start, restart on
; failure) with `storeedge install`, and starts it when the config checks.
; An upgrade stops the service, replaces the program and starts it again; the
; config, the print queue and the logs stay.
;
; Command line (for installing in many stores):
;   /S                silent
;   /CONFIG=FILE      install FILE as the config (replacing the current one)
;   /D=DIR            install the program in DIR (last, unquoted)
; Uninstaller: /S silent; /PURGE also deletes %ProgramData%\storeedge.
; Exit status: 0 done, 1 the service could not be installed or started,
; 2 bad command line or not 64-bit Windows.

; A 64-bit installer for a 64-bit program: no file system or registry
; redirection between them.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!ifndef VERSION | VIVERSION | EXE | CONFIG | EXAMPLE | README | OUTFILE
  !error "define VERSION, VIVERSION, EXE, CONFIG, EXAMPLE, README and OUTFILE (see the top of this file)"
!endif

!define NAME "storeedge"
!define DISPLAYNAME "storeedge order printing"
!define PUBLISHER "storeedge"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\storeedge"
!define STATUSURL "http://127.0.0.1:8723/"

Name "${DISPLAYNAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\storeedge"
InstallDirRegKey HKLM "${UNINSTKEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VIVERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${DISPLAYNAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${DISPLAYNAME} ${VERSION} setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"

Var DataDir   ; %ProgramData%\storeedge
Var ConfigArg ; /CONFIG=
Var Upgrade   ; 1 when the service was installed before
Var Failed    ; 1 when the service could not be installed or started

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_LINK "$(OpenStatusPage)"
!define MUI_FINISHPAGE_LINK_LOCATION "${STATUSURL}"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString Need64 ${LANG_ENGLISH} "storeedge needs 64-bit Windows."
LangString Need64 ${LANG_SIMPCHINESE} "storeedge 需要 64 位 Windows。"
LangString NoConfig ${LANG_ENGLISH} "The config file given with /CONFIG= does not exist:"
LangString NoConfig ${LANG_SIMPCHINESE} "/CONFIG= 指定的配置文件不存在："
LangString InstallFailed ${LANG_ENGLISH} "The storeedge service could not be installed. The details are in the installer's log."
LangString InstallFailed ${LANG_SIMPCHINESE} "无法安装 storeedge 服务，详情见安装日志。"
LangString ConfigProblems ${LANG_ENGLISH} "The config has problems (listed in the installer's log), so the service was not started. Edit the config as administrator, then run: storeedge start"
LangString ConfigProblems ${LANG_SIMPCHINESE} "配置文件有问题（见安装日志），服务未启动。请以管理员身份修改配置后运行：storeedge start"
LangString StartFailed ${LANG_ENGLISH} "The storeedge service is installed but did not start. See the Application event log (source storeedge) and the logs in"
LangString StartFailed ${LANG_SIMPCHINESE} "storeedge 服务已安装但未能启动。请查看应用程序事件日志（来源 storeedge）和日志目录"
LangString RemoveData ${LANG_ENGLISH} "Also delete the config, the print queue and the logs in"
LangString RemoveData ${LANG_SIMPCHINESE} "同时删除配置、打印队列和日志？位置："
LangString OpenStatusPage ${LANG_ENGLISH} "Open the status page"
LangString OpenStatusPage ${LANG_SIMPCHINESE} "打开状态页"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(Need64)" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  StrCpy $DataDir "$APPDATA\${NAME}"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/CONFIG=" $ConfigArg
  ${If} ${Errors}
    StrCpy $ConfigArg ""
  ${EndIf}
  ${If} $ConfigArg != ""
  ${AndIfNot} ${FileExists} "$ConfigArg"
    MessageBox MB_ICONSTOP "$(NoConfig) $ConfigArg" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
FunctionEnd

Section "storeedge"
  StrCpy $Failed 0
  ; An installed service means an upgrade: stop it (letting the printers
  ; finish) before the program is replaced.
  nsExec::ExecToLog '"$SYSDIR\sc.exe" query ${NAME}'
  Pop $0
  ${If} $0 == 0
    StrCpy $Upgrade 1
    DetailPrint "Stopping the ${NAME} service"
    ${If} ${FileExists} "$INSTDIR\storeedge.exe"
      nsExec::ExecToLog '"$INSTDIR\storeedge.exe" stop'
    ${Else}
      nsExec::ExecToLog '"$SYSDIR\net.exe" stop ${NAME}'
    ${EndIf}
    Pop $0
  ${Else}
    StrCpy $Upgrade 0
  ${EndIf}

  SetOutPath "$INSTDIR"
  File "/oname=storeedge.exe" "${EXE}"
  File "/oname=README.md" "${README}"
  File "/oname=storeedge.example.toml" "${EXAMPLE}"

  ; The data directory: the config (with its secrets), the queue and the
  ; logs are for the service (SYSTEM) and administrators only.
  CreateDirectory "$DataDir"
  CreateDirectory "$DataDir\logs"
  ${If} $Upgrade != 1
    nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$DataDir" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F'
    Pop $0
  ${EndIf}
  ${If} $ConfigArg != ""
    DetailPrint "Installing the config $ConfigArg"
    CopyFiles /SILENT "$ConfigArg" "$DataDir\storeedge.toml"
  ${ElseIfNot} ${FileExists} "$DataDir\storeedge.toml"
    SetOutPath "$DataDir"
    File "/oname=storeedge.toml" "${CONFIG}"
    SetOutPath "$INSTDIR"
  ${EndIf}

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${DISPLAYNAME}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\storeedge.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"

  CreateDirectory "$SMPROGRAMS\storeedge"
  WriteINIStr "$SMPROGRAMS\storeedge\storeedge status page.url" "InternetShortcut" "URL" "${STATUSURL}"
  CreateShortcut "$SMPROGRAMS\storeedge\Uninstall storeedge.lnk" "$INSTDIR\uninstall.exe"

  ; The service: registered on first install (with recovery actions and the
  ; event log source), then started when the config checks.
  ${If} $Upgrade != 1
    DetailPrint "Installing the ${NAME} service"
    nsExec::ExecToLog '"$INSTDIR\storeedge.exe" install --config "$DataDir\storeedge.toml"'
    Pop $0
    ${If} $0 != 0
      StrCpy $Failed 1
      MessageBox MB_ICONEXCLAMATION "$(InstallFailed)" /SD IDOK
      Goto done
    ${EndIf}
  ${EndIf}
  nsExec::ExecToLog '"$INSTDIR\storeedge.exe" check-config --config "$DataDir\storeedge.toml"'
  Pop $0
  ${If} $0 != 0
    StrCpy $Failed 1
    MessageBox MB_ICONEXCLAMATION "$(ConfigProblems)$\r$\n$DataDir\storeedge.toml" /SD IDOK
    Goto done
  ${EndIf}
  DetailPrint "Starting the ${NAME} service"
  nsExec::ExecToLog '"$INSTDIR\storeedge.exe" start'
  Pop $0
  ${If} $0 != 0
    StrCpy $Failed 1
    MessageBox MB_ICONEXCLAMATION "$(StartFailed) $DataDir\logs" /SD IDOK
  ${EndIf}
done:
  ${If} $Failed == 1
    SetErrorLevel 1
  ${EndIf}
SectionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  StrCpy $DataDir "$APPDATA\${NAME}"
FunctionEnd

Section "Uninstall"
  DetailPrint "Stopping and removing the ${NAME} service"
  nsExec::ExecToLog '"$INSTDIR\storeedge.exe" uninstall'
  Pop $0

  Delete "$INSTDIR\storeedge.exe"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\storeedge.example.toml"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\storeedge\storeedge status page.url"
  Delete "$SMPROGRAMS\storeedge\Uninstall storeedge.lnk"
  RMDir "$SMPROGRAMS\storeedge"
  DeleteRegKey HKLM "${UNINSTKEY}"

  ; The config, queue and logs stay unless asked for.
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    RMDir /r "$DataDir"
  ${Else}
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "$(RemoveData) $DataDir?" /SD IDNO IDNO keep
    RMDir /r "$DataDir"
  keep:
  ${EndIf}
SectionEnd
