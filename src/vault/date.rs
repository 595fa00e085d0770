//! Reading dates the user types: `YYYY-MM-DD` (midnight UTC) or RFC 3339.

use chrono::{DateTime, NaiveDate, Utc};

/// Parses `YYYY-MM-DD` as midnight UTC, or a full RFC 3339 timestamp (converted to UTC).
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("'{text}' is not a date (use YYYY-MM-DD or RFC 3339)"))
}

/// Like [`parse_date`], but `never` (or an empty text) gives `None`.
pub fn parse_optional_date(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "never" | "none" => Ok(None),
        _ => parse_date(text).map(Some),
    }
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
        assert!(parse_optional_date("2026-01-01").expect("date").is_some());
    }
}
