//! Session Manager targets: the pure part of `ssm shell | forward | ssh`.
//!
//! A target is an instance id, a `key:value` tag, an IPv4 address or a DNS name
//! ([`Target::parse`]); `forward` appends `:remote_port` ([`ForwardSpec`]) and `ssh` takes
//! `[user@]target[:port]` ([`SshSpec`]). The requests for StartSession are built here too, so the
//! document names and parameters live in one place.

use crate::ports::ssm::{InstanceFilter, StartSessionRequest};
use std::collections::BTreeMap;
// `core::net`: the address types only, no I/O.
use core::net::{IpAddr, Ipv4Addr};

/// The document of a port-forwarding session.
pub const PORT_FORWARDING_DOCUMENT: &str = "AWS-StartPortForwardingSession";
/// The document of an SSH session.
pub const SSH_DOCUMENT: &str = "AWS-StartSSHSession";
/// The user of `ssm ssh` when the spec names none.
pub const DEFAULT_SSH_USER: &str = "ec2-user";

/// A bad target spec. Each message quotes the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// An empty target.
    #[error(
        "the target {spec:?} is empty: give an instance id, key:value tag, IP address or DNS name"
    )]
    Empty {
        /// The spec as given.
        spec: String,
    },
    /// A `key:value` tag with an empty key or value.
    #[error("the target {spec:?} is not a key:value tag: the key and the value must not be empty")]
    BadTag {
        /// The spec as given.
        spec: String,
    },
    /// An IPv6 address (EC2 lookups by address are IPv4 only).
    #[error("the target {spec:?} is an IPv6 address: only IPv4 addresses can be looked up")]
    Ipv6 {
        /// The spec as given.
        spec: String,
    },
    /// A `forward` spec without `:remote_port`.
    #[error("the forward spec {spec:?} has no remote port: write target:port")]
    NoPort {
        /// The spec as given.
        spec: String,
    },
    /// A port that is not a number in 1..=65535.
    #[error("the spec {spec:?} has a bad port {port:?}: give a number from 1 to 65535")]
    BadPort {
        /// The spec as given.
        spec: String,
        /// The port text.
        port: String,
    },
}

/// What a target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An instance id (`i-` and at least 8 hex digits), used as it is.
    InstanceId(String),
    /// A tag: the instances whose tag `key` has `value`.
    Tag {
        /// The tag key.
        key: String,
        /// The tag value.
        value: String,
    },
    /// An IPv4 address.
    Ip(Ipv4Addr),
    /// Anything else: a DNS name, resolved to an IPv4 address by the caller.
    DnsName(String),
}

/// Whether `text` is an EC2 instance id: `i-` and at least 8 hex digits.
pub fn is_instance_id(text: &str) -> bool {
    text.strip_prefix("i-")
        .is_some_and(|hex| hex.len() >= 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Target {
    /// Classifies `spec`, in the original's order: instance id, `key:value` tag (split on the
    /// first `:`), IP address, DNS name.
    ///
    /// # Errors
    /// An empty spec, a tag with an empty key or value, an IPv6 address.
    pub fn parse(spec: &str) -> Result<Target, TargetError> {
        let text = spec.trim();
        if text.is_empty() {
            return Err(TargetError::Empty { spec: spec.into() });
        }
        if is_instance_id(text) {
            return Ok(Target::InstanceId(text.to_string()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return match ip {
                IpAddr::V4(v4) => Ok(Target::Ip(v4)),
                IpAddr::V6(_) => Err(TargetError::Ipv6 { spec: spec.into() }),
            };
        }
        if let Some((key, value)) = text.split_once(':') {
            if key.is_empty() || value.is_empty() {
                return Err(TargetError::BadTag { spec: spec.into() });
            }
            return Ok(Target::Tag {
                key: key.to_string(),
                value: value.to_string(),
            });
        }
        Ok(Target::DnsName(text.to_string()))
    }

    /// The DescribeInstances filter for a tag or an address; `None` for an instance id or a
    /// DNS name (which the caller resolves to an address first).
    pub fn filter(&self) -> Option<InstanceFilter> {
        match self {
            Target::Tag { key, value } => Some(InstanceFilter {
                name: format!("tag:{key}"),
                value: value.clone(),
            }),
            Target::Ip(ip) => Some(address_filter(*ip)),
            Target::InstanceId(_) | Target::DnsName(_) => None,
        }
    }
}

/// Whether `ip` is private in the original's sense: RFC 1918 or the shared 100.64.0.0/10 range.
pub fn is_private(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private() || (a == 100 && (64..128).contains(&b))
}

/// The filter for an address: `private-ip-address` for private ones, else `ip-address`.
pub fn address_filter(ip: Ipv4Addr) -> InstanceFilter {
    InstanceFilter {
        name: if is_private(ip) {
            "private-ip-address"
        } else {
            "ip-address"
        }
        .to_string(),
        value: ip.to_string(),
    }
}

/// Picks the instance from a lookup's answer: the first one, with a warning naming the target
/// when there are several.
///
/// # Errors
/// No instance: the message names the target.
pub fn pick_instance(ids: &[String], spec: &str) -> Result<(String, Option<String>), String> {
    match ids {
        [] => Err(format!("no running instance matches the target {spec:?}")),
        [one] => Ok((one.clone(), None)),
        [first, ..] => Ok((
            first.clone(),
            Some(format!(
                "{} running instances match the target {spec:?} ({}); using {first}",
                ids.len(),
                ids.join(", ")
            )),
        )),
    }
}

fn parse_port(spec: &str, port: &str) -> Result<u16, TargetError> {
    port.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| TargetError::BadPort {
            spec: spec.into(),
            port: port.into(),
        })
}

/// `ssm forward`'s `target:remote_port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardSpec {
    /// The target (may itself be `key:value`).
    pub target: String,
    /// The port on the instance.
    pub remote_port: u16,
}

impl ForwardSpec {
    /// Splits on the last `:`: the rest is the target, so `key:value:port` works.
    ///
    /// # Errors
    /// No `:` (the original went on with an empty target), an empty target, a bad port.
    pub fn parse(spec: &str) -> Result<ForwardSpec, TargetError> {
        let (target, port) = spec
            .rsplit_once(':')
            .ok_or_else(|| TargetError::NoPort { spec: spec.into() })?;
        if target.trim().is_empty() {
            return Err(TargetError::Empty { spec: spec.into() });
        }
        Ok(ForwardSpec {
            target: target.to_string(),
            remote_port: parse_port(spec, port)?,
        })
    }
}

/// `ssm ssh`'s `[user@]target[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSpec {
    /// The OS user (default `ec2-user`).
    pub user: String,
    /// The target.
    pub target: String,
    /// The SSH port (default 22).
    pub port: u16,
}

impl SshSpec {
    /// The user is what precedes the first `@`; the port is the last `:` piece when it is a
    /// number from 1 to 65535, otherwise the whole rest is the target (so `key:value` tags work).
    ///
    /// # Errors
    /// An empty target.
    pub fn parse(spec: &str) -> Result<SshSpec, TargetError> {
        let (user, rest) = match spec.split_once('@') {
            Some((user, rest)) if !user.is_empty() => (user, rest),
            Some((_, rest)) => (DEFAULT_SSH_USER, rest),
            None => (DEFAULT_SSH_USER, spec),
        };
        let (target, port) = match rest.rsplit_once(':') {
            Some((target, port)) => match port.parse::<u16>() {
                Ok(p) if p != 0 => (target, p),
                _ => (rest, 22),
            },
            None => (rest, 22),
        };
        if target.trim().is_empty() {
            return Err(TargetError::Empty { spec: spec.into() });
        }
        Ok(SshSpec {
            user: user.to_string(),
            target: target.to_string(),
            port,
        })
    }
}

/// StartSession for an interactive shell: the default document, the target only.
pub fn shell_request(instance_id: &str) -> StartSessionRequest {
    StartSessionRequest {
        target: instance_id.to_string(),
        document_name: None,
        parameters: BTreeMap::new(),
    }
}

/// StartSession for port forwarding from `local_port` (0: any) to `remote_port`.
pub fn forward_request(
    instance_id: &str,
    local_port: u16,
    remote_port: u16,
) -> StartSessionRequest {
    StartSessionRequest {
        target: instance_id.to_string(),
        document_name: Some(PORT_FORWARDING_DOCUMENT.to_string()),
        parameters: BTreeMap::from([
            ("localPortNumber".to_string(), vec![local_port.to_string()]),
            ("portNumber".to_string(), vec![remote_port.to_string()]),
        ]),
    }
}

/// StartSession for an SSH session to `port` on the instance.
pub fn ssh_request(instance_id: &str, port: u16) -> StartSessionRequest {
    StartSessionRequest {
        target: instance_id.to_string(),
        document_name: Some(SSH_DOCUMENT.to_string()),
        parameters: BTreeMap::from([("portNumber".to_string(), vec![port.to_string()])]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_classified_in_order() {
        assert_eq!(
            Target::parse("i-0123abcd").unwrap(),
            Target::InstanceId("i-0123abcd".into())
        );
        assert_eq!(
            Target::parse("i-0123abcdef012345").unwrap(),
            Target::InstanceId("i-0123abcdef012345".into())
        );
        // Too short, or not hex: a DNS name.
        assert_eq!(
            Target::parse("i-0123abc").unwrap(),
            Target::DnsName("i-0123abc".into())
        );
        assert_eq!(
            Target::parse("Name:web:1").unwrap(),
            Target::Tag {
                key: "Name".into(),
                value: "web:1".into()
            }
        );
        assert_eq!(
            Target::parse("10.1.2.3").unwrap(),
            Target::Ip(Ipv4Addr::new(10, 1, 2, 3))
        );
        assert_eq!(
            Target::parse("bastion.example.com").unwrap(),
            Target::DnsName("bastion.example.com".into())
        );
        for (bad, what) in [
            ("", "is empty"),
            (" ", "is empty"),
            (":web", "not a key:value tag"),
            ("Name:", "not a key:value tag"),
            ("fe80::1", "IPv6"),
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.contains(what) && e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn addresses_pick_the_private_or_public_filter() {
        for private in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
        ] {
            let f = Target::parse(private).unwrap().filter().unwrap();
            assert_eq!(
                (f.name.as_str(), f.value.as_str()),
                ("private-ip-address", private)
            );
        }
        for public in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "100.63.255.255"] {
            let f = Target::parse(public).unwrap().filter().unwrap();
            assert_eq!((f.name.as_str(), f.value.as_str()), ("ip-address", public));
        }
        let tag = Target::parse("env:prod").unwrap().filter().unwrap();
        assert_eq!((tag.name.as_str(), tag.value.as_str()), ("tag:env", "prod"));
        assert_eq!(Target::parse("i-12345678").unwrap().filter(), None);
    }

    #[test]
    fn forward_specs_need_a_port() {
        assert_eq!(
            ForwardSpec::parse("i-12345678:8080").unwrap(),
            ForwardSpec {
                target: "i-12345678".into(),
                remote_port: 8080
            }
        );
        assert_eq!(
            ForwardSpec::parse("Name:web:443").unwrap(),
            ForwardSpec {
                target: "Name:web".into(),
                remote_port: 443
            }
        );
        // The original's quirk: no `:` went on with an empty target. Now an error.
        let e = ForwardSpec::parse("i-12345678").unwrap_err().to_string();
        assert!(
            e.contains("no remote port") && e.contains("\"i-12345678\""),
            "{e}"
        );
        let e = ForwardSpec::parse(":80").unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
        for bad in ["i-12345678:0", "i-12345678:65536", "i-12345678:http"] {
            let e = ForwardSpec::parse(bad).unwrap_err().to_string();
            assert!(e.contains("bad port"), "{e}");
        }
    }

    #[test]
    fn ssh_specs_follow_the_originals_cases() {
        let spec = |user: &str, target: &str, port| SshSpec {
            user: user.into(),
            target: target.into(),
            port,
        };
        assert_eq!(
            SshSpec::parse("user@instance:2222").unwrap(),
            spec("user", "instance", 2222)
        );
        assert_eq!(
            SshSpec::parse("user@my_key:value:2222").unwrap(),
            spec("user", "my_key:value", 2222)
        );
        assert_eq!(
            SshSpec::parse("user@my_key:value").unwrap(),
            spec("user", "my_key:value", 22)
        );
        assert_eq!(
            SshSpec::parse("instance:2222").unwrap(),
            spec("ec2-user", "instance", 2222)
        );
        assert_eq!(
            SshSpec::parse("tag:99999").unwrap(),
            spec("ec2-user", "tag:99999", 22)
        );
        assert_eq!(
            SshSpec::parse("i-12345678").unwrap(),
            spec("ec2-user", "i-12345678", 22)
        );
        let e = SshSpec::parse("user@:22").unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
    }

    #[test]
    fn lookups_use_the_first_instance_and_warn_about_more() {
        let e = pick_instance(&[], "env:none").unwrap_err();
        assert!(e.contains("\"env:none\""), "{e}");
        let one = vec!["i-11111111".to_string()];
        assert_eq!(
            pick_instance(&one, "x").unwrap(),
            ("i-11111111".into(), None)
        );
        let two = vec!["i-11111111".to_string(), "i-22222222".to_string()];
        let (id, warning) = pick_instance(&two, "env:prod").unwrap();
        assert_eq!(id, "i-11111111");
        let warning = warning.unwrap();
        assert!(
            warning.contains("2 running instances") && warning.contains("i-22222222"),
            "{warning}"
        );
    }

    #[test]
    fn session_requests_carry_the_documents_parameters() {
        assert_eq!(shell_request("i-1").document_name, None);
        assert!(shell_request("i-1").parameters.is_empty());
        let f = forward_request("i-1", 0, 5432);
        assert_eq!(
            f.document_name.as_deref(),
            Some("AWS-StartPortForwardingSession")
        );
        assert_eq!(f.parameters["localPortNumber"], vec!["0".to_string()]);
        assert_eq!(f.parameters["portNumber"], vec!["5432".to_string()]);
        let s = ssh_request("i-1", 22);
        assert_eq!(s.document_name.as_deref(), Some("AWS-StartSSHSession"));
        assert_eq!(s.parameters["portNumber"], vec!["22".to_string()]);
    }
}
