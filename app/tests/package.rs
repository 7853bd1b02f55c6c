//! `scripts/package`: the Debian package holds the binary and the completion files where the
//! Quick Start says, and the binary in it runs.

use std::path::Path;
use std::process::Command;

#[test]
fn the_deb_installs_the_binary_and_completions() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    let built = Command::new(repo.join("scripts/package"))
        .args([
            "--binary",
            crate::support::BIN,
            "--compression",
            "none",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let deb = String::from_utf8(built.stdout).unwrap().trim().to_string();
    assert!(
        deb.contains(&format!("/aws-runas_{}_", env!("CARGO_PKG_VERSION")))
            && deb.ends_with(".deb"),
        "{deb}"
    );

    let listing = Command::new("dpkg-deb")
        .args(["-c", &deb])
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8(listing.stdout).unwrap();
    for (path, mode) in [
        ("./usr/bin/aws-runas", "-rwxr-xr-x"),
        ("./etc/bash_completion.d/aws-runas", "-rw-r--r--"),
        (
            "./usr/share/zsh/vendor-completions/_aws-runas",
            "-rw-r--r--",
        ),
        (
            "./usr/share/fish/vendor_completions.d/aws-runas.fish",
            "-rw-r--r--",
        ),
    ] {
        let line = listing
            .lines()
            .find(|l| l.ends_with(path))
            .unwrap_or_else(|| panic!("{path} missing from\n{listing}"));
        assert!(line.starts_with(mode), "{line}");
        assert!(line.contains("root/root"), "{line}");
    }

    let field = |name: &str| {
        let o = Command::new("dpkg-deb")
            .args(["-f", &deb, name])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    assert_eq!(field("Package"), "aws-runas");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));

    // Unpacked into a throw-away root: the files are the ones in extras/, the binary runs.
    let root = tempfile::tempdir().unwrap();
    let x = Command::new("dpkg-deb")
        .args(["-x", &deb])
        .arg(root.path())
        .status()
        .unwrap();
    assert!(x.success());
    assert_eq!(
        std::fs::read(root.path().join("etc/bash_completion.d/aws-runas")).unwrap(),
        std::fs::read(repo.join("extras/aws-runas-bash-completion")).unwrap()
    );
    let version = Command::new(root.path().join("usr/bin/aws-runas"))
        .arg("-V")
        .env_clear()
        .output()
        .unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("aws-runas {}", env!("CARGO_PKG_VERSION"))
    );
}
