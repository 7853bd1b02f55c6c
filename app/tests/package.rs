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
    // Manual pages: one for the command and one per subcommand, readable by man.
    let man = root.path().join("usr/share/man/man1");
    for page in [
        "aws-runas.1.gz",
        "aws-runas-console.1.gz",
        "aws-runas-ecr-login.1.gz",
    ] {
        assert!(man.join(page).exists(), "{page} missing");
    }
    if Path::new("/usr/bin/man").exists() {
        let shown = Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(man.join("aws-runas-console.1.gz"))
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            shown.status.success(),
            "{}",
            String::from_utf8_lossy(&shown.stderr)
        );
        assert!(text.contains("--destination"), "{text}");
    }
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

#[test]
fn the_rpm_holds_the_same_files() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    let built = Command::new(repo.join("scripts/package"))
        .args([
            "--binary",
            crate::support::BIN,
            "--compression",
            "none",
            "--rpm",
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
    let stdout = String::from_utf8(built.stdout).unwrap();
    let rpm = stdout.lines().nth(1).expect("the .rpm's path").to_string();
    assert!(rpm.ends_with(".rpm") && Path::new(&rpm).exists(), "{rpm}");
    let query = |args: &[&str]| {
        let o = Command::new("rpm").args(args).arg(&rpm).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let files: Vec<String> = query(&["-qlp"]).lines().map(str::to_string).collect();
    for path in [
        "/usr/bin/aws-runas",
        "/etc/bash_completion.d/aws-runas",
        "/usr/share/zsh/vendor-completions/_aws-runas",
        "/usr/share/fish/vendor_completions.d/aws-runas.fish",
    ] {
        assert!(
            files.iter().any(|f| f == path),
            "{path} missing from {files:?}"
        );
    }
    assert_eq!(
        query(&["-qp", "--qf", "%{NAME} %{VERSION}"]),
        format!("aws-runas {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        query(&["-qcp"]).trim(),
        "/etc/bash_completion.d/aws-runas",
        "the bash completion is a config file"
    );
}

#[test]
fn the_release_archive_holds_the_binary_and_completions() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    let built = Command::new(repo.join("scripts/package"))
        .args([
            "--binary",
            crate::support::BIN,
            "--compression",
            "none",
            "--zip",
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
    let stdout = String::from_utf8(built.stdout).unwrap();
    let zip = stdout
        .lines()
        .nth(1)
        .expect("the archive's path")
        .to_string();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        zip.contains(&format!("/aws-runas-{version}-linux-")) && zip.ends_with(".zip"),
        "{zip}"
    );
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16 & 0o777))",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8(listing.stdout).unwrap();
    for entry in [
        format!("aws-runas-{version}/aws-runas 0o755"),
        format!("aws-runas-{version}/aws-runas-bash-completion 0o644"),
        format!("aws-runas-{version}/aws-runas.fish 0o644"),
    ] {
        assert!(
            listing.lines().any(|l| l == entry),
            "{entry} missing from\n{listing}"
        );
    }
}
