//! Choosing a second factor among those Okta offers, the same way for the authn API (factors) and
//! the IDX API (authenticators and their methods), following `mfa_type`.

use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::MfaChoice;

/// What the adapter can do with one offered factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Okta Verify push.
    Push,
    /// A code the user reads from an app or a token (TOTP, HOTP, hardware token).
    Code,
    /// A code Okta sends (SMS, voice call, e-mail) and the user types.
    Sent(Channel),
    /// Duo, through its Universal Prompt (push or passcode).
    Duo,
    /// The password (IDX only: Identity Engine may ask for it as an authenticator).
    Password,
    /// Anything else: security questions, WebAuthn, FastPass, other identity providers.
    Unsupported,
}

/// How Okta sends a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// A text message.
    Sms,
    /// A phone call reading the code.
    Voice,
    /// An e-mail.
    Email,
}

impl Channel {
    /// "by SMS", for notices.
    pub(crate) fn by(self) -> &'static str {
        match self {
            Channel::Sms => "by SMS",
            Channel::Voice => "by a voice call",
            Channel::Email => "by e-mail",
        }
    }
}

/// One factor Okta offers, as the adapter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offer {
    /// What it is.
    pub(crate) kind: Kind,
    /// How Okta names it (`push (OKTA)`, `okta_verify: totp`), for messages.
    pub(crate) name: String,
}

/// What the adapter supports, for messages.
pub(crate) const SUPPORTED: &str = "Okta Verify push, one-time codes (TOTP, HOTP, hardware tokens), codes sent by SMS, voice call or e-mail, and Duo through its Universal Prompt (Classic orgs)";

/// The rank of a kind under `mfa` (lower is preferred), or `None` when `mfa` excludes it.
fn rank(kind: Kind, mfa: MfaChoice, code_up_front: bool) -> Option<u8> {
    let sent = |c: Channel| match c {
        Channel::Sms => 0,
        Channel::Voice => 1,
        Channel::Email => 2,
    };
    match (mfa, kind) {
        (_, Kind::Unsupported | Kind::Password) => None,
        (MfaChoice::Push, Kind::Push) => Some(0),
        (MfaChoice::Push, Kind::Duo) => Some(1),
        (MfaChoice::Push, _) => None,
        (MfaChoice::Code, Kind::Push) => None,
        (MfaChoice::Code, Kind::Code) => Some(0),
        (MfaChoice::Code, Kind::Duo) => Some(1),
        (MfaChoice::Code, Kind::Sent(c)) => Some(2 + sent(c)),
        (MfaChoice::Auto | MfaChoice::None, k) if code_up_front => Some(match k {
            Kind::Code => 0,
            Kind::Duo => 1,
            Kind::Sent(c) => 2 + sent(c),
            _ => 9,
        }),
        (MfaChoice::Auto | MfaChoice::None, k) => Some(match k {
            Kind::Push => 0,
            Kind::Duo => 1,
            Kind::Code => 2,
            Kind::Sent(c) => 3 + sent(c),
            _ => 9,
        }),
    }
}

/// The index of the offer to use.
///
/// With `auto` (and `none`, which the original tool treats alike): Okta Verify push, then Duo,
/// then codes from an app, then codes Okta sends; when a code was given up front (`-o`), codes
/// come first. With `push`: push factors only. With `code`: code factors only.
/// Ties go to the offer Okta lists first.
///
/// # Errors
/// [`IdpError::unsupported`] when no offer is one the adapter can answer, listing what Okta
/// offered and what the adapter supports; [`IdpError::configuration`] when `mfa_type` excludes
/// every usable offer.
pub(crate) fn choose(
    offers: &[Offer],
    mfa: MfaChoice,
    code_up_front: bool,
) -> Result<usize, IdpError> {
    let best = offers
        .iter()
        .enumerate()
        .filter_map(|(i, o)| rank(o.kind, mfa, code_up_front).map(|r| (r, i)))
        .min();
    if let Some((_, i)) = best {
        return Ok(i);
    }
    let offered = offers
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let offered = if offered.is_empty() {
        "nothing".to_string()
    } else {
        offered
    };
    let usable = offers
        .iter()
        .any(|o| !matches!(o.kind, Kind::Unsupported | Kind::Password));
    if usable {
        let wanted = match mfa {
            MfaChoice::Push => "push",
            _ => "one-time-code",
        };
        Err(IdpError::configuration(format!(
            "mfa_type is {mfa} but okta offers no {wanted} factor (offered: {offered}); set mfa_type to auto"
        )))
    } else {
        Err(IdpError::unsupported(format!(
            "okta asks for a second factor this adapter cannot answer (offered: {offered}); supported: {SUPPORTED}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn offer(kind: Kind, name: &str) -> Offer {
        Offer {
            kind,
            name: name.into(),
        }
    }

    fn several() -> Vec<Offer> {
        vec![
            offer(Kind::Unsupported, "question (OKTA)"),
            offer(Kind::Sent(Channel::Sms), "sms (OKTA)"),
            offer(Kind::Code, "token:software:totp (GOOGLE)"),
            offer(Kind::Push, "push (OKTA)"),
            offer(Kind::Code, "token:software:totp (OKTA)"),
        ]
    }

    #[test]
    fn mfa_type_orders_the_offers() {
        let o = several();
        assert_eq!(choose(&o, MfaChoice::Auto, false).unwrap(), 3);
        assert_eq!(choose(&o, MfaChoice::None, false).unwrap(), 3);
        assert_eq!(choose(&o, MfaChoice::Auto, true).unwrap(), 2);
        assert_eq!(choose(&o, MfaChoice::Code, false).unwrap(), 2);
        assert_eq!(choose(&o, MfaChoice::Push, true).unwrap(), 3);
        let sent_only = vec![
            offer(Kind::Sent(Channel::Email), "email (OKTA)"),
            offer(Kind::Sent(Channel::Sms), "sms (OKTA)"),
        ];
        assert_eq!(choose(&sent_only, MfaChoice::Auto, false).unwrap(), 1);
    }

    #[test]
    fn nothing_usable_lists_offered_and_supported() {
        let o = vec![
            offer(Kind::Unsupported, "question (OKTA)"),
            offer(Kind::Unsupported, "webauthn (FIDO)"),
        ];
        let e = choose(&o, MfaChoice::Auto, false).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
        let m = e.to_string();
        assert!(
            m.contains("question (OKTA), webauthn (FIDO)") && m.contains("Okta Verify push"),
            "{m}"
        );

        let push_only = vec![offer(Kind::Code, "token:hotp (OKTA)")];
        let e = choose(&push_only, MfaChoice::Push, false).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        let m = e.to_string();
        assert!(
            m.contains("mfa_type is push") && m.contains("token:hotp (OKTA)"),
            "{m}"
        );

        let e = choose(&[], MfaChoice::Code, false).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
        assert!(e.to_string().contains("offered: nothing"), "{e}");
    }
}
