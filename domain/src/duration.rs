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
    let mut total_ns: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err("expected a number"));
        }
        let value: f64 = num.parse().map_err(|_| err("expected a number"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit (use ns, us, ms, s, m or h)")),
        };
        total_ns += value * scale;
    }
    if total_ns > 9.2e18 {
        return Err(err("too large"));
    }
    let secs = (total_ns / 1e9).floor() as i64;
    Ok(if neg { -secs } else { secs })
}

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
