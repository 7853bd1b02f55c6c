//! Which prompt driver asks the user: the `prompt` setting (`--prompt`, `RUNAS_PROMPT`, the
//! profile key) turned into a `Prompter` — the terminal, a desktop dialog, or a YubiKey for MFA
//! codes. Built only on a cache miss.

use crate::env::ProcessEnv;
use anyhow::{Result, anyhow};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::settings::Settings;
use aws_runas_prompt_gui::{Dialog, DialogPrompter, DialogSettings};
use aws_runas_prompt_ykman::{YkmanPrompter, YkmanSettings};
use std::ffi::OsStr;
use std::sync::Arc;

/// Every value of the `prompt` setting.
pub(crate) const DRIVERS: &[&str] = &[
    "terminal",
    "zenity",
    "kdialog",
    "osascript",
    "wincred",
    "ykman",
    "auto",
];

/// What the environment offers a prompt driver: a terminal, a display, the `PATH`.
#[derive(Debug, Clone)]
pub(crate) struct Surroundings<'a> {
    /// Whether the process has a controlling terminal.
    pub(crate) terminal: bool,
    /// Whether there is a desktop to show a dialog on.
    pub(crate) display: bool,
    /// Where dialog programs and `ykman` are looked for.
    pub(crate) path: Option<&'a OsStr>,
}

impl<'a> Surroundings<'a> {
    /// This process's: `/dev/tty` (or the console) can be opened; `DISPLAY` or `WAYLAND_DISPLAY`
    /// is set, or the system is macOS or Windows.
    pub(crate) fn of(penv: &'a ProcessEnv) -> Self {
        let tty = aws_runas_prompt_term::TermSettings::controlling_terminal();
        let terminal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(tty.input())
            .is_ok();
        let display = cfg!(any(target_os = "macos", windows))
            || penv.get("DISPLAY").is_some()
            || penv.get("WAYLAND_DISPLAY").is_some();
        Surroundings {
            terminal,
            display,
            path: penv.get("PATH").map(OsStr::new),
        }
    }
}

/// The prompter the `prompt` setting of `settings` names; `terminal` answers for the terminal.
///
/// # Errors
/// An unknown driver, or a driver whose program is not installed (or does not exist on this
/// system): the message names the driver, where it was set, and the alternatives.
pub(crate) fn choose(
    settings: &Settings,
    around: &Surroundings<'_>,
    terminal: Arc<dyn Prompter>,
) -> Result<Arc<dyn Prompter>> {
    let Some(setting) = settings.setting("prompt") else {
        return Ok(auto(around, terminal));
    };
    let value = setting.value().unwrap_or_default().trim();
    let origin = setting.source();
    let alternatives = DRIVERS.join(", ");
    match value.to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(auto(around, terminal)),
        "terminal" => Ok(terminal),
        "ykman" => {
            let mut yk = YkmanSettings::find(around.path).map_err(|e| {
                anyhow!("{e} (prompt = ykman, from {origin}); use one of {alternatives}")
            })?;
            if let Some(account) = settings.get("ykman_oath_credential") {
                yk = yk.account(account.trim());
            }
            Ok(Arc::new(YkmanPrompter::new(yk, auto(around, terminal))))
        }
        name => {
            let dialog = Dialog::from_name(name).ok_or_else(|| {
                anyhow!(
                    "prompt = {value:?} (from {origin}) is not a prompt driver; use one of {alternatives}"
                )
            })?;
            let found = DialogSettings::find(dialog, around.path).map_err(|e| {
                anyhow!("{e} (prompt = {name}, from {origin}); use one of {alternatives}")
            })?;
            Ok(Arc::new(DialogPrompter::new(found)))
        }
    }
}

/// `auto`: the terminal when there is one, else a dialog when there is a display and a dialog
/// program, else the terminal (whose questions then fail at once, as they always did).
fn auto(around: &Surroundings<'_>, terminal: Arc<dyn Prompter>) -> Arc<dyn Prompter> {
    if around.terminal || !around.display {
        return terminal;
    }
    match desktop_dialog(around.path) {
        Some(found) => {
            log::debug!("no terminal: asking in {} dialogs", found.dialog());
            Arc::new(DialogPrompter::new(found))
        }
        None => terminal,
    }
}

/// The first dialog of this system whose program is installed.
fn desktop_dialog(path: Option<&OsStr>) -> Option<DialogSettings> {
    Dialog::ALL
        .into_iter()
        .filter(|d| d.supported_here())
        .find_map(|d| DialogSettings::find(d, path).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ProfileSet;
    use aws_runas_domain::settings::{Env, FlagValues, resolve_settings};

    fn settings(prompt: Option<&str>) -> Settings {
        let env = Env::from_pairs(prompt.map(|p| ("RUNAS_PROMPT", p)));
        resolve_settings(&ProfileSet::default(), None, &env, &FlagValues::new())
    }

    struct Marker;
    impl Prompter for Marker {
        fn read_line(
            &self,
            _: &str,
        ) -> Result<String, aws_runas_domain::ports::prompter::PromptError> {
            Ok("terminal".into())
        }
        fn read_secret(
            &self,
            _: &str,
        ) -> Result<aws_runas_domain::Secret, aws_runas_domain::ports::prompter::PromptError>
        {
            Ok(aws_runas_domain::Secret::new("terminal"))
        }
        fn notice(&self, _: &str) {}
    }

    fn is_terminal(p: &Arc<dyn Prompter>) -> bool {
        p.read_line("x").ok().as_deref() == Some("terminal")
    }

    #[test]
    fn unknown_and_missing_drivers_name_themselves_and_the_alternatives() {
        let empty = tempfile::tempdir().unwrap();
        let around = Surroundings {
            terminal: false,
            display: true,
            path: Some(empty.path().as_os_str()),
        };
        let e = choose(&settings(Some("gtk")), &around, Arc::new(Marker))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("\"gtk\"") && e.contains("RUNAS_PROMPT"), "{e}");
        assert!(
            e.contains("terminal, zenity, kdialog, osascript, wincred, ykman, auto"),
            "{e}"
        );
        for driver in ["zenity", "ykman"] {
            let e = choose(&settings(Some(driver)), &around, Arc::new(Marker))
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(&format!("{driver} is not installed")), "{e}");
            assert!(e.contains("use one of terminal"), "{e}");
        }
    }

    #[test]
    fn auto_prefers_the_terminal_then_a_dialog_on_a_display() {
        let empty = tempfile::tempdir().unwrap();
        let no_program = Some(empty.path().as_os_str());
        for (terminal, display) in [(true, true), (true, false), (false, false), (false, true)] {
            let around = Surroundings {
                terminal,
                display,
                path: no_program,
            };
            // With no dialog program installed, auto always falls back to the terminal.
            let p = choose(&settings(None), &around, Arc::new(Marker)).unwrap();
            assert!(is_terminal(&p), "{terminal} {display}");
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let zenity = empty.path().join("zenity");
            std::fs::write(&zenity, "#!/bin/sh\necho from-zenity\n").unwrap();
            std::fs::set_permissions(&zenity, std::fs::Permissions::from_mode(0o755)).unwrap();
            let gui = Surroundings {
                terminal: false,
                display: true,
                path: no_program,
            };
            let p = choose(&settings(Some("auto")), &gui, Arc::new(Marker)).unwrap();
            assert_eq!(p.read_line("Code: ").unwrap(), "from-zenity");
            let tty = Surroundings {
                terminal: true,
                ..gui.clone()
            };
            assert!(is_terminal(
                &choose(&settings(None), &tty, Arc::new(Marker)).unwrap()
            ));
            let headless = Surroundings {
                display: false,
                ..gui
            };
            assert!(is_terminal(
                &choose(&settings(None), &headless, Arc::new(Marker)).unwrap()
            ));
            let p = choose(&settings(Some("terminal")), &gui, Arc::new(Marker)).unwrap();
            assert!(is_terminal(&p));
        }
    }
}
