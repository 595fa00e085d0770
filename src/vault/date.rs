//! Reading dates the user types: `YYYY-MM-DD` (a day) or RFC 3339 (an instant). The editor and
//! the CLI both read dates here.

use chrono::{DateTime, NaiveDate, Utc};

/// A text that is not a date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date: use YYYY-MM-DD or RFC 3339 (2026-03-01T10:00:00Z)")]
pub struct DateError(pub String);

/// A date as typed: a day with no time, or an exact instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateInput {
    /// `YYYY-MM-DD`: no time of day given.
    Day(NaiveDate),
    /// A full RFC 3339 timestamp, converted to UTC.
    Instant(DateTime<Utc>),
}

impl DateInput {
    /// Reads `YYYY-MM-DD` or RFC 3339.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let text = text.trim();
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(DateInput::Day(day));
        }
        DateTime::parse_from_rfc3339(text)
            .map(|d| DateInput::Instant(d.with_timezone(&Utc)))
            .map_err(|_| DateError(text.to_owned()))
    }

    /// Like [`DateInput::parse`], but `never`, `none` or an empty text give `None`.
    pub fn parse_optional(text: &str) -> Result<Option<Self>, DateError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "never" | "none" => Ok(None),
            _ => Self::parse(text).map(Some),
        }
    }

    /// The instant meant for a field that held `stored`. A day that is `stored`'s own (UTC)
    /// day keeps `stored`, so saving an unchanged date does not move it to midnight; any other
    /// day means midnight UTC.
    pub fn resolve(self, stored: Option<DateTime<Utc>>) -> DateTime<Utc> {
        match self {
            DateInput::Instant(at) => at,
            DateInput::Day(day) => match stored {
                Some(at) if at.date_naive() == day => at,
                _ => day.and_time(chrono::NaiveTime::MIN).and_utc(),
            },
        }
    }
}

/// Parses `YYYY-MM-DD` as midnight UTC, or a full RFC 3339 timestamp (converted to UTC).
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, DateError> {
    DateInput::parse(text).map(|d| d.resolve(None))
}

/// Like [`parse_date`], but `never` (or an empty text) gives `None`.
pub fn parse_optional_date(text: &str) -> Result<Option<DateTime<Utc>>, DateError> {
    parse_optional_date_keeping(text, None)
}

/// Like [`parse_optional_date`], for a field that held `stored`: the same day keeps the
/// stored time (see [`DateInput::resolve`]).
pub fn parse_optional_date_keeping(
    text: &str,
    stored: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, DateError> {
    Ok(DateInput::parse_optional(text)?.map(|d| d.resolve(stored)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_never() {
        assert_eq!(
            parse_date("2024-02-29").expect("leap day").to_rfc3339(),
            "2024-02-29T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2026-03-01T10:00:00+02:00")
                .expect("rfc3339")
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        assert!(parse_date("2023-02-29").is_err(), "not a leap year");
        assert!(parse_date("tomorrow").is_err());
        assert_eq!(parse_optional_date("never"), Ok(None));
        assert_eq!(parse_optional_date(" "), Ok(None));
        assert!(parse_optional_date("2026-01-01").expect("date").is_some());
        let err = parse_date("31/12/2026").expect_err("not a date");
        assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
    }

    #[test]
    fn an_unchanged_day_keeps_its_stored_time() {
        let stored = parse_date("2026-03-01T15:45:10Z").expect("stored");
        assert_eq!(
            parse_optional_date_keeping("2026-03-01", Some(stored)),
            Ok(Some(stored)),
            "same day: the time is kept"
        );
        assert_eq!(
            parse_optional_date_keeping("2026-03-02", Some(stored)),
            Ok(Some(parse_date("2026-03-02T00:00:00Z").expect("midnight"))),
            "another day: midnight"
        );
        let exact = parse_date("2026-03-01T08:00:00Z").expect("exact");
        assert_eq!(
            parse_optional_date_keeping("2026-03-01T08:00:00Z", Some(stored)),
            Ok(Some(exact)),
            "an instant is taken as typed"
        );
        assert_eq!(parse_optional_date_keeping("never", Some(stored)), Ok(None));
        assert!(parse_optional_date_keeping("soon", Some(stored)).is_err());
    }
}
