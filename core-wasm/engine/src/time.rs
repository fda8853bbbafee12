//! Timestamps: the host's clock in milliseconds, written as RFC 3339 UTC strings.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};

/// `2026-11-23T20:10:00.123Z` for a time in milliseconds since the epoch.
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Parses an RFC 3339 time (any offset) or a plain `YYYY-MM-DD` date (midnight UTC) into ms.
pub fn parse_ms(s: &str) -> Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp_millis());
    }
    Err(Error::InvalidArgument(format!(
        "`{s}` is not a date: use YYYY-MM-DD or an RFC 3339 time such as 2026-11-23T20:10:00Z"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(parse_ms("2026-01-01T00:00:00.123Z").unwrap(), 1_767_225_600_123);
        assert_eq!(parse_ms("2026-01-01").unwrap(), 1_767_225_600_000);
        assert_eq!(parse_ms("2026-01-01T01:00:00+01:00").unwrap(), 1_767_225_600_000);
        assert!(parse_ms("yesterday").is_err());
        assert!(parse_ms("2026-13-01").is_err());
    }
}
