//! Percentages: `"20%"`, `"2.5%"`, a share greater than 0 and at most 100 percent.

/// What a percentage looks like, for error messages.
pub const PERCENT_EXPECTED: &str =
    "expected a percentage greater than 0% and at most 100%, such as \"20%\" or \"2.5%\"";

/// Parses `"N%"` into the percentage `N`, which must be greater than 0 and at most 100.
///
/// # Errors
///
/// A message naming what is wrong: the missing `%` (with the text to write instead), a
/// number that does not read, or one outside the range.
///
/// ```
/// use resilience_syntax::parse_percent;
///
/// assert_eq!(parse_percent("20%"), Ok(20.0));
/// assert_eq!(parse_percent("2.5%"), Ok(2.5));
/// assert!(parse_percent("20").unwrap_err().contains("write \"20%\""));
/// assert!(parse_percent("0%").is_err());
/// assert!(parse_percent("120%").is_err());
/// ```
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let Some(number) = text.strip_suffix('%') else {
        return Err(if text.trim().parse::<f64>().is_ok() {
            format!(
                "missing \"%\" in percentage \"{text}\": write \"{}%\"",
                text.trim()
            )
        } else {
            format!("missing \"%\" in percentage \"{text}\"; {PERCENT_EXPECTED}")
        });
    };
    // Only plain decimals: no sign, no exponent, no "inf" or "NaN".
    let plain = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.starts_with(|c: char| c.is_ascii_digit());
    let value = match number.parse::<f64>() {
        Ok(value) if plain => value,
        _ => return Err(format!("invalid percentage \"{text}\"; {PERCENT_EXPECTED}")),
    };
    if value <= 0.0 {
        Err(format!(
            "percentage \"{text}\" allows nothing; it must be greater than 0%"
        ))
    } else if value > 100.0 {
        Err(format!("percentage \"{text}\" is above 100%"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_percentages() {
        assert_eq!(parse_percent("100%"), Ok(100.0));
        assert_eq!(parse_percent("0.5%"), Ok(0.5));
        assert_eq!(parse_percent("20%"), Ok(20.0));
    }

    #[test]
    fn rejects_bad_percentages() {
        assert!(parse_percent("20").unwrap_err().contains("missing \"%\""));
        assert!(parse_percent("abc").unwrap_err().contains("missing \"%\""));
        assert!(parse_percent("0%").unwrap_err().contains("greater than 0%"));
        assert!(
            parse_percent("0.0%")
                .unwrap_err()
                .contains("greater than 0%")
        );
        assert!(parse_percent("120%").unwrap_err().contains("above 100%"));
        assert!(parse_percent("100.01%").unwrap_err().contains("above 100%"));
        for text in ["%", "-5%", "1e1%", "inf%", "NaN%", " 5%", "5 %"] {
            assert!(
                parse_percent(text)
                    .unwrap_err()
                    .contains("invalid percentage"),
                "{text}"
            );
        }
    }
}
