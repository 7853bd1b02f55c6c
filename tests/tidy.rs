//! Tidy rules that keep the architecture honest, checked over the source tree.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | ".venv-moto" | "node_modules"
            ) && !name.starts_with('.')
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = vec![];
    for dir in ["domain", "adapters", "app", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    files
}

/// `[dependencies]` entries of a manifest (names only), by simple line parsing.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).unwrap();
    let mut in_deps = false;
    let mut deps = vec![];
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]"
                || line.starts_with("[target.") && line.ends_with(".dependencies]");
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            let name = name.trim().split('.').next().unwrap_or_default().trim();
            if !name.is_empty() && !name.starts_with('#') {
                deps.push(name.to_string());
            }
        }
    }
    deps
}

fn package_name(manifest: &Path) -> String {
    let text = fs::read_to_string(manifest).unwrap();
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("name = ")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap()
}

fn adapter_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("adapters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<_> = all_rust_files()
        .into_iter()
        .filter(|f| {
            !fs::read_to_string(f)
                .unwrap()
                .trim_start()
                .starts_with("//!")
                && !fs::read_to_string(f)
                    .unwrap()
                    .trim_start()
                    .starts_with("#![doc")
        })
        .collect();
    assert!(missing.is_empty(), "files without a //! doc: {missing:?}");
}

#[test]
fn no_ignored_or_should_panic_tests() {
    let (ignore, panic) = (format!("#[{}]", "ignore"), format!("#[{}", "should_panic"));
    let bad: Vec<_> = all_rust_files()
        .into_iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            text.contains(&ignore) || text.contains(&panic)
        })
        .collect();
    assert!(bad.is_empty(), "banned test attributes in {bad:?}");
}

#[test]
fn adapter_packages_follow_the_naming_rule() {
    for dir in adapter_dirs() {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            package_name(&dir.join("Cargo.toml")),
            format!("aws-runas-{folder}"),
            "{}",
            dir.display()
        );
        let prefix = folder.split('-').next().unwrap();
        assert!(
            [
                "config", "cache", "sts", "prompt", "process", "idp", "sdk", "secret", "browser",
                "serve", "signin", "ssm",
            ]
            .contains(&prefix),
            "unknown port prefix in {folder}"
        );
    }
    assert_eq!(
        package_name(&root().join("domain/Cargo.toml")),
        "aws-runas-domain"
    );
    assert_eq!(package_name(&root().join("app/Cargo.toml")), "aws-runas");
}

#[test]
fn adapters_never_depend_on_each_other() {
    for dir in adapter_dirs() {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        for dep in dependencies(&dir.join("Cargo.toml")) {
            // The domain, and the one shared support crate (which itself needs only the domain).
            let allowed = !dep.starts_with("aws-runas-")
                || dep == "aws-runas-domain"
                || dep == "aws-runas-idp-support" && folder != "idp-support";
            assert!(allowed, "{folder} depends on {dep}");
        }
    }
}

#[test]
fn the_domain_has_no_io_dependencies() {
    let allowed = [
        "async-trait",
        "inventory",
        "log",
        "thiserror",
        "zeroize",
        "mockall",
        "quick-xml",
        "base64",
        "serde_json",
    ];
    for dep in dependencies(&root().join("domain/Cargo.toml")) {
        assert!(
            allowed.contains(&dep.as_str()),
            "domain must stay pure; it depends on {dep}"
        );
    }
    let mut files = vec![];
    rust_files(&root().join("domain/src"), &mut files);
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        for banned in [
            "std::fs",
            "std::env",
            "std::net",
            "std::process",
            "tokio::",
            "SystemTime::now",
            "Instant::now",
        ] {
            let code: String = text.split("#[cfg(test)]").next().unwrap().to_string();
            assert!(!code.contains(banned), "{} uses {banned}", f.display());
        }
    }
}

#[test]
fn anyhow_only_in_the_app_and_tests() {
    for dir in adapter_dirs().into_iter().chain([root().join("domain")]) {
        assert!(
            !dependencies(&dir.join("Cargo.toml")).contains(&"anyhow".to_string()),
            "{} uses anyhow",
            dir.display()
        );
    }
}

#[test]
fn every_idp_adapter_is_linked_by_the_app() {
    let app_deps = dependencies(&root().join("app/Cargo.toml"));
    let adapters_rs = fs::read_to_string(root().join("app/src/adapters.rs")).unwrap();
    for dir in adapter_dirs() {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !folder.starts_with("idp-") || folder == "idp-support" || folder == "idp-testkit" {
            continue;
        }
        let package = format!("aws-runas-{folder}");
        assert!(
            app_deps.contains(&package),
            "app/Cargo.toml lacks {package}"
        );
        let line = format!("use {} as _;", package.replace('-', "_"));
        assert!(
            adapters_rs.contains(&line),
            "app/src/adapters.rs lacks `{line}`"
        );
    }
}

#[test]
fn configuration_doc_matches_the_key_table() {
    let path = root().join("docs/configuration.md");
    let text = fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- BEGIN KEY TABLE", "<!-- END KEY TABLE -->");
    let start = text.find(begin).expect("begin marker");
    let start = start + text[start..].find('\n').unwrap() + 1;
    let stop = text.find(end).expect("end marker");
    let table = aws_runas_domain::keys::markdown_table();
    #[allow(clippy::disallowed_methods)] // a test switch, like expect_test's UPDATE_EXPECT
    if std::env::var("UPDATE_DOCS").is_ok() {
        fs::write(&path, format!("{}{table}{}", &text[..start], &text[stop..])).unwrap();
        return;
    }
    assert_eq!(
        &text[start..stop],
        table,
        "docs/configuration.md is stale: run UPDATE_DOCS=1 cargo test -p aws-runas-tests"
    );
    for key in aws_runas_domain::keys::KEYS {
        assert!(
            text.contains(&format!("`{}`", key.name)),
            "{} undocumented",
            key.name
        );
    }
}

#[test]
fn the_walk_through_adapter_depends_only_on_the_domain_and_the_support_crate() {
    let manifest = root().join("tests/idp-example/Cargo.toml");
    assert_eq!(package_name(&manifest), "aws-runas-idp-example");
    let deps = dependencies(&manifest);
    let allowed = ["aws-runas-domain", "aws-runas-idp-support"];
    for dep in &deps {
        assert!(
            !dep.starts_with("aws-runas-") || allowed.contains(&dep.as_str()),
            "tests/idp-example depends on {dep}: an adapter may use only {allowed:?} of this workspace"
        );
    }
    for needed in allowed {
        assert!(
            deps.iter().any(|d| d == needed),
            "tests/idp-example lacks {needed}"
        );
    }
    let text = fs::read_to_string(&manifest).unwrap();
    let mut in_dev = false;
    let mut dev_deps = vec![];
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dev = line == "[dev-dependencies]";
        } else if in_dev && let Some((name, _)) = line.split_once('=') {
            dev_deps.push(
                name.trim()
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    assert!(
        dev_deps.iter().any(|d| d == "aws-runas-idp-testkit"),
        "tests/idp-example must run the conformance suite: aws-runas-idp-testkit is not among its dev-dependencies {dev_deps:?}"
    );
}

/// The Markdown files of the repository (outside build output and dependencies).
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "fuzz")
                && !name.starts_with('.')
            {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

#[test]
fn the_architecture_names_every_adapter_and_every_port() {
    let architecture = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut missing = vec![];
    for dir in adapter_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !architecture.contains(&format!("`{name}`")) {
            missing.push(format!("adapters/{name} (write `{name}` in the code map)"));
        }
    }
    let ports = root().join("domain/src/ports");
    for entry in fs::read_dir(&ports).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && name != "mod.rs" && !architecture.contains(&format!("`{name}`"))
        {
            missing.push(format!(
                "domain/src/ports/{name} (write `{name}` in the code map)"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {}",
        missing.join(", ")
    );
}

#[test]
fn the_documentation_refers_to_nothing_outside_the_repository() {
    let mut files = vec![];
    markdown_files(&root(), &mut files);
    assert!(
        files.len() > 10,
        "found only {} Markdown files",
        files.len()
    );
    let mut offenders = vec![];
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("../shared") || line.contains("/work/") {
                offenders.push(format!(
                    "{}:{}",
                    file.strip_prefix(root()).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "documentation points outside the repository: {}",
        offenders.join(", ")
    );
}
