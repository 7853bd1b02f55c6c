//! [`DialogPrompter`]: the `Prompter` port as desktop dialogs and notifications.

use crate::run::{self, Finished};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use zeroize::Zeroize as _;

/// The title of every dialog and notification.
const TITLE: &str = "aws-runas";

/// The environment variable that carries the label to the Windows credential dialog's script.
const WINCRED_TEXT_VAR: &str = "AWS_RUNAS_PROMPT_TEXT";

/// A kind of desktop dialog, by the name the `prompt` setting gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialog {
    /// GNOME's `zenity` (any X11 or Wayland desktop).
    Zenity,
    /// KDE's `kdialog`.
    Kdialog,
    /// AppleScript dialogs through `osascript` (macOS).
    Osascript,
    /// The Windows credential dialog, through `powershell.exe` (Windows only).
    Wincred,
}

impl Dialog {
    /// Every dialog, in the order `auto` tries them on a Unix desktop (then macOS, then Windows).
    pub const ALL: [Dialog; 4] = [
        Dialog::Zenity,
        Dialog::Kdialog,
        Dialog::Osascript,
        Dialog::Wincred,
    ];

    /// The name the `prompt` setting uses.
    pub fn name(self) -> &'static str {
        match self {
            Dialog::Zenity => "zenity",
            Dialog::Kdialog => "kdialog",
            Dialog::Osascript => "osascript",
            Dialog::Wincred => "wincred",
        }
    }

    /// The dialog a `prompt` value names (case-insensitive), else `None`.
    pub fn from_name(name: &str) -> Option<Dialog> {
        Dialog::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The program the dialog runs.
    pub fn program(self) -> &'static str {
        match self {
            Dialog::Zenity => "zenity",
            Dialog::Kdialog => "kdialog",
            Dialog::Osascript => "osascript",
            Dialog::Wincred => "powershell",
        }
    }

    /// Whether the dialog can work on the system this was built for.
    pub fn supported_here(self) -> bool {
        match self {
            Dialog::Wincred => cfg!(windows),
            Dialog::Osascript => cfg!(target_os = "macos"),
            Dialog::Zenity | Dialog::Kdialog => cfg!(unix),
        }
    }
}

impl fmt::Display for Dialog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a dialog cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// The dialog's program is not on `PATH`.
    #[error("prompt driver {dialog} is not installed: no `{program}` on PATH")]
    NotInstalled {
        /// The dialog.
        dialog: Dialog,
        /// The program looked for.
        program: &'static str,
    },
    /// The dialog does not exist on this operating system.
    #[error("prompt driver {dialog} works only on {needs}")]
    Unsupported {
        /// The dialog.
        dialog: Dialog,
        /// The system it needs.
        needs: &'static str,
    },
}

/// Which dialog a [`DialogPrompter`] shows, and the program that shows it.
///
/// There is deliberately no `Default`: the caller says which dialog it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogSettings {
    dialog: Dialog,
    program: PathBuf,
    path: Option<OsString>,
}

impl DialogSettings {
    /// Finds the program of `dialog` on `path` (a `PATH` value, handed on to the program).
    ///
    /// # Errors
    /// [`DialogError::Unsupported`] for a dialog of another operating system (`wincred` off
    /// Windows, `osascript` off macOS); [`DialogError::NotInstalled`] when the program is not on
    /// `path`.
    pub fn find(dialog: Dialog, path: Option<&OsStr>) -> Result<Self, DialogError> {
        if !dialog.supported_here() {
            let needs = match dialog {
                Dialog::Wincred => "Windows",
                Dialog::Osascript => "macOS",
                Dialog::Zenity | Dialog::Kdialog => "Unix desktops",
            };
            return Err(DialogError::Unsupported { dialog, needs });
        }
        let program =
            run::find_on_path(dialog.program(), path).ok_or(DialogError::NotInstalled {
                dialog,
                program: dialog.program(),
            })?;
        Ok(DialogSettings {
            dialog,
            program,
            path: path.map(OsStr::to_os_string),
        })
    }

    /// `dialog` shown by the program at `program`, on any operating system (for tests, and for
    /// programs kept outside `PATH`).
    pub fn with_program(dialog: Dialog, program: impl Into<PathBuf>) -> Self {
        DialogSettings {
            dialog,
            program: program.into(),
            path: None,
        }
    }

    /// The dialog.
    pub fn dialog(&self) -> Dialog {
        self.dialog
    }

    /// The program that shows it.
    pub fn program(&self) -> &Path {
        &self.program
    }
}

/// Asks questions in desktop dialogs and shows notices as desktop notifications.
#[derive(Debug)]
pub struct DialogPrompter {
    settings: DialogSettings,
    /// One dialog at a time.
    asking: Mutex<()>,
}

impl DialogPrompter {
    /// A prompter showing the dialogs the settings name.
    pub fn new(settings: DialogSettings) -> Self {
        DialogPrompter {
            settings,
            asking: Mutex::new(()),
        }
    }

    fn one_at_a_time(&self) -> MutexGuard<'_, ()> {
        self.asking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn command(&self) -> Command {
        run::command(&self.settings.program, self.settings.path.as_ref())
    }

    /// The command and standard input that ask `label`, hidden or not.
    fn question(&self, label: &str, hidden: bool) -> (Command, Option<String>) {
        let label = shown(label);
        let mut cmd = self.command();
        let input = match self.settings.dialog {
            Dialog::Zenity => {
                cmd.arg("--entry")
                    .arg(format!("--title={TITLE}"))
                    .arg(format!("--text={label}"));
                if hidden {
                    cmd.arg("--hide-text");
                }
                None
            }
            Dialog::Kdialog => {
                cmd.arg("--title")
                    .arg(TITLE)
                    .arg(if hidden { "--password" } else { "--inputbox" })
                    .arg(label);
                None
            }
            Dialog::Osascript => {
                cmd.arg("-").arg(label);
                let hidden = if hidden { " with hidden answer" } else { "" };
                Some(format!(
                    "on run argv\n\
                     set answer to display dialog (item 1 of argv) default answer \"\" with title \"{TITLE}\" buttons {{\"Cancel\", \"OK\"}} default button \"OK\"{hidden}\n\
                     return text returned of answer\n\
                     end run\n"
                ))
            }
            Dialog::Wincred => {
                cmd.args(["-NoLogo", "-NoProfile", "-Command", "-"])
                    .env(WINCRED_TEXT_VAR, label);
                Some(if hidden {
                    format!(
                        "$c = $Host.UI.PromptForCredential('{TITLE}', $env:{WINCRED_TEXT_VAR}, '{TITLE}', ''); if ($c -eq $null) {{ exit 1 }}; [Console]::Out.Write($c.GetNetworkCredential().Password); exit 0\n"
                    )
                } else {
                    format!(
                        "Add-Type -AssemblyName Microsoft.VisualBasic; $a = [Microsoft.VisualBasic.Interaction]::InputBox($env:{WINCRED_TEXT_VAR}, '{TITLE}'); if ([string]::IsNullOrEmpty($a)) {{ exit 1 }}; [Console]::Out.Write($a); exit 0\n"
                    )
                })
            }
        };
        (cmd, input)
    }

    fn ask(&self, label: &str, hidden: bool) -> Result<String, PromptError> {
        let _asking = self.one_at_a_time();
        let (cmd, input) = self.question(label, hidden);
        let finished = run::run(cmd, input.as_deref()).map_err(|e| {
            driver_error(format!(
                "prompt driver {}: cannot run {}: {e}",
                self.settings.dialog,
                self.settings.program.display()
            ))
        })?;
        self.answer(finished)
    }

    fn answer(&self, mut finished: Finished) -> Result<String, PromptError> {
        let dialog = self.settings.dialog;
        if !finished.status.success() {
            let cancelled = match dialog {
                Dialog::Osascript => finished.last_error_line.contains("(-128)"),
                Dialog::Zenity | Dialog::Kdialog | Dialog::Wincred => {
                    finished.status.code() == Some(1)
                }
            };
            if cancelled {
                return Err(PromptError::Cancelled);
            }
            let status = finished
                .status
                .code()
                .map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
            let detail = if finished.last_error_line.is_empty() {
                String::new()
            } else {
                format!(": {}", shown(&finished.last_error_line))
            };
            return Err(driver_error(format!(
                "prompt driver {dialog}: {} failed ({status}){detail}",
                self.settings.program.display()
            )));
        }
        let bytes = std::mem::take(&mut *finished.stdout);
        let mut text = String::from_utf8(bytes).map_err(|e| {
            e.into_bytes().zeroize();
            driver_error(format!(
                "prompt driver {dialog}: the answer is not valid UTF-8"
            ))
        })?;
        let answer = text.trim().to_string();
        text.zeroize();
        Ok(answer)
    }
}

impl Prompter for DialogPrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        self.ask(label, false)
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        self.ask(label, true).map(Secret::new)
    }

    fn notice(&self, message: &str) {
        let message = shown(message);
        let mut cmd = self.command();
        let input = match self.settings.dialog {
            Dialog::Zenity => {
                cmd.arg("--notification").arg(format!("--text={message}"));
                None
            }
            Dialog::Kdialog => {
                cmd.arg("--title")
                    .arg(TITLE)
                    .arg("--passivepopup")
                    .arg(message)
                    .arg("10");
                None
            }
            Dialog::Osascript => {
                cmd.arg("-").arg(message);
                Some(format!(
                    "on run argv\ndisplay notification (item 1 of argv) with title \"{TITLE}\"\nend run\n"
                ))
            }
            Dialog::Wincred => {
                cmd.args(["-NoLogo", "-NoProfile", "-Command", "-"])
                    .env(WINCRED_TEXT_VAR, message);
                Some(format!(
                    "Add-Type -AssemblyName System.Windows.Forms; $n = New-Object System.Windows.Forms.NotifyIcon; $n.Icon = [System.Drawing.SystemIcons]::Information; $n.Visible = $true; $n.ShowBalloonTip(10000, '{TITLE}', $env:{WINCRED_TEXT_VAR}, 'Info'); Start-Sleep -Seconds 10; $n.Dispose()\n"
                ))
            }
        };
        run::start_notice(cmd, input);
    }
}

fn driver_error(message: String) -> PromptError {
    PromptError::Driver(message.into_boxed_str())
}

/// Text fit for a dialog: no trailing `: ` or white space (a dialog is not a prompt line), and
/// control characters other than newline and tab written as escapes.
fn shown(text: &str) -> String {
    let text = text.trim_end().trim_end_matches(':').trim_end();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_labels_are_tidied() {
        for d in Dialog::ALL {
            assert_eq!(Dialog::from_name(&d.name().to_uppercase()), Some(d));
        }
        assert_eq!(Dialog::from_name("gtk"), None);
        assert_eq!(shown("MFA code for x: "), "MFA code for x");
        assert_eq!(shown("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }

    #[test]
    fn a_missing_program_is_not_installed_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = OsString::from(dir.path());
        let e = DialogSettings::find(Dialog::Kdialog, Some(&path)).unwrap_err();
        if cfg!(unix) {
            assert_eq!(
                e.to_string(),
                "prompt driver kdialog is not installed: no `kdialog` on PATH"
            );
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn wincred_is_refused_off_windows() {
        let e = DialogSettings::find(Dialog::Wincred, None).unwrap_err();
        assert_eq!(e.to_string(), "prompt driver wincred works only on Windows");
    }
}
