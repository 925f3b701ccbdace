//! Numbers from users, settings files, the CLI and servers turned into
//! [`Duration`]s and deadlines without panicking: negative and NaN values are
//! rejected with an error naming the setting, huge and infinite ones
//! saturate, and a deadline past what [`Instant`] can hold becomes a
//! far-future one.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// What "no limit" means for a deadline: about 100 years from now.
pub const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The longest `Retry-After` a server can make a request wait (5 minutes);
/// a longer one (or a malformed one) is capped to this.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(300);

/// `now + d`, saturating: a sum that [`Instant`] cannot hold becomes
/// `now + FAR_FUTURE` (or less, on a platform whose clock cannot go that far).
pub fn deadline_from(now: Instant, d: Duration) -> Instant {
    if let Some(t) = now.checked_add(d) {
        return t;
    }
    let mut far = d.min(FAR_FUTURE);
    loop {
        if let Some(t) = now.checked_add(far) {
            return t;
        }
        if far.is_zero() {
            return now;
        }
        far /= 2;
    }
}

/// `Instant::now() + d`, saturating (see [`deadline_from`]).
pub fn deadline_after(d: Duration) -> Instant {
    deadline_from(Instant::now(), d)
}

/// Seconds as a [`Duration`]: negative and NaN values are an
/// [`Error::InvalidSetting`] naming `name`; `+inf` and values too large for a
/// `Duration` saturate to [`Duration::MAX`] (no limit).
pub fn secs_f64(name: &str, secs: f64) -> Result<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return Err(Error::InvalidSetting {
            name: name.into(),
            reason: format!("{secs} is not a number of seconds >= 0"),
        });
    }
    Ok(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// Parses a number of seconds (`"15"`, `"0.5"`, `"1e3"`) with [`secs_f64`];
/// text that is not a number is an [`Error::InvalidSetting`] naming `name`.
pub fn parse_secs(name: &str, text: &str) -> Result<Duration> {
    let t = text.trim();
    let secs = t.parse::<f64>().map_err(|_| Error::InvalidSetting {
        name: name.into(),
        reason: format!("{t:?} is not a number of seconds"),
    })?;
    secs_f64(name, secs)
}

/// A server's `Retry-After` header (delay-seconds) as a wait, capped at
/// [`RETRY_AFTER_CAP`]. `None` when it is not a number of seconds (an
/// HTTP date is ignored; the client's own backoff applies).
pub fn retry_after(header: &str) -> Option<Duration> {
    let secs = header.trim().parse::<f64>().ok()?;
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(secs)
            .unwrap_or(Duration::MAX)
            .min(RETRY_AFTER_CAP),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate() {
        let now = Instant::now();
        assert!(deadline_from(now, Duration::MAX) >= now + Duration::from_secs(3600));
        assert_eq!(
            deadline_from(now, Duration::from_secs(2)),
            now + Duration::from_secs(2)
        );
        assert!(deadline_after(Duration::MAX) > Instant::now());
    }

    #[test]
    fn seconds_are_checked_and_saturate() {
        assert_eq!(secs_f64("x", 1.5).unwrap(), Duration::from_millis(1500));
        assert_eq!(secs_f64("x", 0.0).unwrap(), Duration::ZERO);
        assert_eq!(secs_f64("x", 1e20).unwrap(), Duration::MAX);
        assert_eq!(secs_f64("x", f64::INFINITY).unwrap(), Duration::MAX);
        for bad in [-1.0, f64::NAN, f64::NEG_INFINITY, -0.000_1] {
            let e = secs_f64("the_setting", bad).unwrap_err().to_string();
            assert!(e.contains("the_setting"), "{e}");
        }
        assert_eq!(parse_secs("x", "1e400").unwrap(), Duration::MAX);
        assert_eq!(parse_secs("x", " 2 ").unwrap(), Duration::from_secs(2));
        for bad in ["", "abc", "-5", "NaN", "1s"] {
            assert!(parse_secs("x", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retry_after_is_capped() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("18446744073709551615"), Some(RETRY_AFTER_CAP));
        assert_eq!(retry_after("1e400"), Some(RETRY_AFTER_CAP));
        assert_eq!(retry_after("0.5"), Some(Duration::from_millis(500)));
        for bad in ["-1", "NaN", "Wed, 21 Oct 2015 07:28:00 GMT", ""] {
            assert_eq!(retry_after(bad), None, "{bad:?}");
        }
    }
}
