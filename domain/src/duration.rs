//! Durations written in Go's `time.ParseDuration` syntax, and the clamps STS imposes.
//!
//! The original tool reads `15m`, `1h30m`, `36h` and rejects `7d`; so does this parser.

/// A duration in Go syntax that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {text:?}: {reason}")]
pub struct DurationError {
    text: String,
    reason: &'static str,
}

/// Parses Go duration syntax (`300ms`, `1.5h`, `1h30m`, `-5m`) into whole seconds, rounding down.
///
/// A bare number is also accepted as seconds, as `duration_seconds` and the env loader of the
/// original do. Units: `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`; there is no `d`.
///
/// # Errors
/// Returns [`DurationError`] for anything else, naming the text.
pub fn parse_go_duration(text: &str) -> Result<i64, DurationError> {
    let err = |reason| DurationError {
        text: text.to_string(),
        reason,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    if let Ok(secs) = s.parse::<i64>() {
        // The same bound as with units: a bare number must not go where `1h` syntax cannot.
        if secs.unsigned_abs() > MAX_SECS {
            return Err(err("too large"));
        }
        return Ok(secs);
    }
    let (neg, mut rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err("no number"));
    }
    // Exact integer arithmetic in nanoseconds (as Go's parser does): floating point lost a second
    // on durations of some hundred thousand hours.
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err("expected a number"));
        }
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit (use ns, us, ms, s, m or h)")),
        };
        let (whole, fraction) = num.split_once('.').unwrap_or((num, ""));
        // More than 20 digits is beyond the bound whatever the unit; leading zeros aside.
        let whole = whole.trim_start_matches('0');
        if whole.len() > 20 {
            return Err(err("too large"));
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| err("expected a number"))?
        };
        // Digits past the 18th are below a nanosecond even in hours; they are dropped, as Go does.
        let fraction = &fraction[..fraction.len().min(18)];
        let fraction_ns = if fraction.is_empty() {
            0
        } else {
            let digits: u128 = fraction.parse().map_err(|_| err("expected a number"))?;
            digits * scale / 10u128.pow(u32::try_from(fraction.len()).unwrap_or(18))
        };
        total_ns = total_ns
            .saturating_add(whole.saturating_mul(scale))
            .saturating_add(fraction_ns);
    }
    if total_ns > u128::from(MAX_SECS) * 1_000_000_000 {
        return Err(err("too large"));
    }
    let secs = i64::try_from(total_ns / 1_000_000_000).map_err(|_| err("too large"))?;
    Ok(if neg { -secs } else { secs })
}

/// The longest duration accepted, in seconds (about 291 years, near Go's limit of `i64`
/// nanoseconds).
const MAX_SECS: u64 = 9_200_000_000;

/// What a clamp did to a requested duration, so the caller can say so at debug level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clamp {
    /// The value was within the limits.
    Kept,
    /// Unset or below one second: the default was used.
    Defaulted,
    /// Raised to the minimum.
    RaisedToMin,
    /// Lowered to the maximum.
    LoweredToMax,
}

impl Clamp {
    /// The original tool's debug message for this clamp, if any.
    pub fn message(self) -> Option<&'static str> {
        match self {
            Clamp::Kept => None,
            Clamp::Defaulted => Some("provided duration less than 1, setting to default value"),
            Clamp::RaisedToMin => Some("provided duration too short, setting to minimum value"),
            Clamp::LoweredToMax => Some("provided duration too long, setting to maximum value"),
        }
    }
}

/// Default, minimum and maximum of one kind of STS credential, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLimits {
    /// Used when nothing is configured.
    pub default: i64,
    /// Lower bound.
    pub min: i64,
    /// Upper bound.
    pub max: i64,
}

/// GetSessionToken: 12h by default, 15m to 36h.
pub const SESSION_TOKEN_LIMITS: DurationLimits = DurationLimits {
    default: 12 * 3600,
    min: 900,
    max: 36 * 3600,
};
/// AssumeRole and its SAML and web-identity variants: 1h by default, 15m to 12h.
pub const ROLE_LIMITS: DurationLimits = DurationLimits {
    default: 3600,
    min: 900,
    max: 12 * 3600,
};
/// AWS caps a role session assumed with role-session credentials at one hour.
pub const CHAINED_ROLE_MAX_SECS: i64 = 3600;

impl DurationLimits {
    /// Clamps `requested` (seconds; `None` or below 1 means unset) into the limits.
    pub fn clamp(self, requested: Option<i64>) -> (i64, Clamp) {
        match requested {
            None => (self.default, Clamp::Defaulted),
            Some(v) if v < 1 => (self.default, Clamp::Defaulted),
            Some(v) if v < self.min => (self.min, Clamp::RaisedToMin),
            Some(v) if v > self.max => (self.max, Clamp::LoweredToMax),
            Some(v) => (v, Clamp::Kept),
        }
    }
}

/// Formats seconds the way Go prints a duration (`1h0m0s`, `15m0s`, `45s`).
pub fn format_go_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_syntax() {
        for (text, secs) in [
            ("15m", 900),
            ("1h30m", 5400),
            ("36h", 129_600),
            ("1h1m", 3660),
            ("1.5h", 5400),
            ("90s", 90),
            ("1500ms", 1),
            ("3600", 3600),
            ("0", 0),
            ("-5m", -300),
            ("2h45m30s", 9930),
        ] {
            assert_eq!(parse_go_duration(text), Ok(secs), "{text}");
        }
    }

    /// Found by `fuzz/` (go_duration): a bare number of seconds beyond the bound of the `h` syntax
    /// was accepted and printed as a duration that did not read back, and large `h` durations lost
    /// a second to floating point.
    #[test]
    fn large_durations_are_exact_and_bounded() {
        assert!(parse_go_duration("30000300300").is_err());
        assert!(parse_go_duration("-30000300300").is_err());
        assert_eq!(parse_go_duration("9200000000"), Ok(9_200_000_000));
        assert!(parse_go_duration("9200000001").is_err());
        assert!(parse_go_duration("2555555h33m21s").is_err());
        for secs in [
            9_200_000_000,
            9_000_000_001,
            8_999_999_999,
            123_456_789_012 / 100,
        ] {
            assert_eq!(
                parse_go_duration(&format_go_duration(secs)),
                Ok(secs),
                "{secs}"
            );
        }
        assert_eq!(parse_go_duration("0.000000001h"), Ok(0));
        assert_eq!(parse_go_duration("1.999999999999999999999s"), Ok(1));
        assert_eq!(parse_go_duration(".5m"), Ok(30));
        assert!(parse_go_duration("100000000000000000000000h").is_err());
    }

    #[test]
    fn rejects_days_and_garbage() {
        for text in ["7d", "", "h", "1x", "1.2.3h", "abc", "5 m", "-"] {
            let e = parse_go_duration(text).unwrap_err();
            assert!(e.to_string().contains(&format!("{text:?}")), "{e}");
        }
    }

    #[test]
    fn clamps_like_sts() {
        assert_eq!(ROLE_LIMITS.clamp(None), (3600, Clamp::Defaulted));
        assert_eq!(ROLE_LIMITS.clamp(Some(0)), (3600, Clamp::Defaulted));
        assert_eq!(ROLE_LIMITS.clamp(Some(600)), (900, Clamp::RaisedToMin));
        assert_eq!(
            ROLE_LIMITS.clamp(Some(360 * 3600)),
            (43_200, Clamp::LoweredToMax)
        );
        assert_eq!(
            SESSION_TOKEN_LIMITS.clamp(Some(20 * 60)),
            (1200, Clamp::Kept)
        );
        assert_eq!(
            SESSION_TOKEN_LIMITS.clamp(Some(40 * 3600)),
            (129_600, Clamp::LoweredToMax)
        );
        assert!(Clamp::RaisedToMin.message().unwrap().contains("too short"));
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go_duration(3600), "1h0m0s");
        assert_eq!(format_go_duration(900), "15m0s");
        assert_eq!(format_go_duration(45), "45s");
    }
}
