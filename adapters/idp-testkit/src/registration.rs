//! The checks every identity-provider adapter makes of its registration record: its name,
//! aliases, crate, protocols and MFA kinds; that the registry of the test binary finds it by
//! every spelling; what its URL and probe matchers accept and refuse; which settings its build
//! refuses; and that its `Debug` hides the secrets it was built with.

use crate::prompter::ScriptedPrompter;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    AuthUrl, HttpSettings, IdpDeps, IdpErrorKind, IdpRegistration, IdpSettings, MfaKind,
    ProbeResponse, Protocol, registry,
};
use std::sync::Arc;
use std::time::Duration;

/// What an adapter's registration must say and do.
///
/// Every field is required, so that a test states each fact (an empty list where the adapter has
/// none).
#[derive(Debug, Clone)]
pub struct ExpectedRegistration<'a> {
    /// The names the registry of the test binary holds, in order (the adapter's, and any test
    /// adapter the binary registers besides).
    pub registry: &'a [&'a str],
    /// The adapter's name.
    pub name: &'a str,
    /// Its aliases, in order.
    pub aliases: &'a [&'a str],
    /// The crate that registers it (`aws-runas-idp-<name>`).
    pub crate_name: &'a str,
    /// The protocols it declares, in order.
    pub protocols: &'a [Protocol],
    /// The MFA kinds it declares, in order.
    pub mfa: &'a [MfaKind],
    /// Other spellings the registry must find it by, besides the name and the aliases in lower
    /// and upper case (`AzureAD`, `Entra`).
    pub found_as: &'a [&'a str],
    /// URLs its URL matcher accepts.
    pub urls_matched: &'a [&'a str],
    /// URLs its URL matcher refuses.
    pub urls_not_matched: &'a [&'a str],
    /// Probe answers its probe matcher accepts.
    pub probes_matched: Vec<ProbeResponse>,
    /// Probe answers its probe matcher refuses.
    pub probes_not_matched: Vec<ProbeResponse>,
}

/// A `200` probe answer that set these cookies.
pub fn probe_with_cookies(cookies: &[&str]) -> ProbeResponse {
    ProbeResponse {
        status: 200,
        headers: vec![],
        cookies: cookies.iter().map(|c| c.to_string()).collect(),
    }
}

/// A `200` probe answer with these headers.
pub fn probe_with_headers(headers: &[(&str, &str)]) -> ProbeResponse {
    ProbeResponse {
        status: 200,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        cookies: vec![],
    }
}

/// Checks `reg` against `expected`.
///
/// # Panics
/// With one line per fact that does not hold.
pub fn assert_registration(reg: &IdpRegistration, expected: &ExpectedRegistration<'_>) {
    let mut failures = vec![];
    let mut same = |what: &str, got: String, want: String| {
        if got != want {
            failures.push(format!("{what}: {got}, expected {want}"));
        }
    };
    same("the name", reg.name().into(), expected.name.into());
    same(
        "the aliases",
        format!("{:?}", reg.aliases()),
        format!("{:?}", expected.aliases),
    );
    same(
        "the crate",
        reg.crate_name().into(),
        expected.crate_name.into(),
    );
    same(
        "the protocols",
        format!("{:?}", reg.protocols()),
        format!("{:?}", expected.protocols),
    );
    same(
        "the MFA kinds",
        format!("{:?}", reg.mfa()),
        format!("{:?}", expected.mfa),
    );
    match registry() {
        Err(e) => failures.push(format!("the registry does not build: {e}")),
        Ok(registry) => {
            if registry.names() != expected.registry {
                failures.push(format!(
                    "the registry holds {:?}, expected {:?}",
                    registry.names(),
                    expected.registry
                ));
            }
            let spellings = std::iter::once(expected.name)
                .chain(expected.aliases.iter().copied())
                .flat_map(|n| [n.to_string(), n.to_ascii_uppercase()])
                .chain(expected.found_as.iter().map(|s| s.to_string()));
            for url in expected.urls_matched {
                if let Ok(parsed) = AuthUrl::parse(url)
                    && let Some(other) = registry.detect_by_url(&parsed)
                    && other.name() != expected.name
                {
                    failures.push(format!("the registry detects {} by {url}", other.name()));
                }
            }
            for spelling in spellings {
                match registry.get(&spelling) {
                    Ok(found) if found.name() == expected.name => {}
                    Ok(found) => failures.push(format!(
                        "the registry finds {} by {spelling:?}",
                        found.name()
                    )),
                    Err(e) => failures.push(format!("{spelling:?}: {e}")),
                }
            }
        }
    }
    for (urls, want) in [
        (expected.urls_matched, true),
        (expected.urls_not_matched, false),
    ] {
        for url in urls {
            match AuthUrl::parse(url) {
                Ok(parsed) if reg.matches_url(&parsed) == want => {}
                Ok(_) => failures.push(format!(
                    "the URL matcher {} {url}",
                    if want { "refuses" } else { "accepts" }
                )),
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
    }
    for (probes, want) in [
        (&expected.probes_matched, true),
        (&expected.probes_not_matched, false),
    ] {
        for probe in probes {
            if reg.matches_probe(probe) != want {
                failures.push(format!(
                    "the probe matcher {} {probe:?}",
                    if want { "refuses" } else { "accepts" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the registration of `{}`:\n  {}",
        reg.name(),
        failures.join("\n  ")
    );
}

/// HTTP settings for a test: a 5 s timeout, no proxy, no CA bundle, no cookie jar.
pub fn idle_http() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        proxy: None,
        no_proxy: None,
        ca_bundle: None,
        cookie_jar: None,
    }
}

/// Dependencies for building an adapter that is never run: a prompter that expects no question,
/// a fixed clock and [`idle_http`].
pub fn idle_deps() -> IdpDeps {
    IdpDeps::new(
        Arc::new(ScriptedPrompter::new()),
        Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
        idle_http(),
    )
}

/// Checks that building the adapter of `reg` with the settings `pairs` fails with an
/// [`IdpErrorKind::Configuration`] error whose message contains every text of `naming` (the key
/// at fault, say).
///
/// # Panics
/// When the build succeeds or fails otherwise.
pub fn assert_refused(reg: &IdpRegistration, pairs: &[(&str, &str)], naming: &[&str]) {
    let settings = IdpSettings::from_pairs(pairs.iter().copied());
    match reg.build(&settings, idle_deps()) {
        Ok(_) => panic!("`{}` accepted the settings {pairs:?}", reg.name()),
        Err(e) => {
            let message = e.to_string();
            assert!(
                e.kind() == IdpErrorKind::Configuration
                    && naming.iter().all(|t| message.contains(t)),
                "`{}` refused {pairs:?} with {e:?}, expected a configuration error naming {naming:?}",
                reg.name()
            );
        }
    }
}

/// Checks that building the adapter of `reg` with the settings `pairs` succeeds.
///
/// # Panics
/// When the build fails.
pub fn assert_accepted(reg: &IdpRegistration, pairs: &[(&str, &str)]) {
    let settings = IdpSettings::from_pairs(pairs.iter().copied());
    if let Err(e) = reg.build(&settings, idle_deps()) {
        panic!("`{}` refused the settings {pairs:?}: {e:?}", reg.name());
    }
}

/// Checks that the `Debug` of the adapter built from `settings` shows none of `hidden` (the
/// secrets and secret-bearing URL parts given) and every text of `shown`.
///
/// # Panics
/// When the build fails or the `Debug` shows a hidden text or lacks a shown one.
pub fn assert_debug_hides(
    reg: &IdpRegistration,
    settings: &IdpSettings,
    hidden: &[&str],
    shown: &[&str],
) {
    let adapter = reg
        .build(settings, idle_deps())
        .unwrap_or_else(|e| panic!("`{}` refused the settings: {e:?}", reg.name()));
    let debug = format!("{adapter:?}");
    for text in hidden {
        assert!(
            !debug.contains(text),
            "the Debug of `{}` shows a secret: {debug}",
            reg.name()
        );
    }
    for text in shown {
        assert!(
            debug.contains(text),
            "the Debug of `{}` lacks {text:?}: {debug}",
            reg.name()
        );
    }
}
