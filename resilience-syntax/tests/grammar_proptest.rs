//! Property tests of the duration and rate grammar: any text gives a value or a message,
//! never a panic; generated valid text parses to exactly the value it was made from; the
//! canonical form parses back to the same value; numbers too large are errors, never a
//! wrapped value.
//!
//! `PROPTEST_CASES=100000 cargo test -p resilience-syntax --test grammar_proptest` for a
//! longer run.

use std::time::Duration;

use proptest::prelude::*;
use resilience_syntax::{format_duration, parse_duration, parse_rate};

/// Every unit, its nanoseconds, and the most decimals it takes exactly (`unit / 10^decimals`
/// is a whole number of nanoseconds).
const UNITS: &[(&str, u128, u32)] = &[
    ("ns", 1, 0),
    ("us", 1_000, 3),
    ("µs", 1_000, 3),
    ("ms", 1_000_000, 6),
    ("s", 1_000_000_000, 9),
    ("m", 60_000_000_000, 10),
    ("min", 60_000_000_000, 10),
    ("h", 3_600_000_000_000, 11),
    ("d", 86_400_000_000_000, 11),
];

const MAX_NANOS: u128 = Duration::MAX.as_nanos();

fn from_nanos(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / 1_000_000_000).expect("below Duration::MAX");
    let subsec = u32::try_from(nanos % 1_000_000_000).expect("below 10^9");
    Duration::new(secs, subsec)
}

/// One `<number><unit>` part with an exact decimal fraction, as text and in nanoseconds.
fn part() -> impl Strategy<Value = (String, u128)> {
    (0..UNITS.len(), 0u64..100_000, any::<u64>()).prop_map(|(unit, whole, fraction_seed)| {
        let (name, nanos, max_decimals) = UNITS[unit];
        let decimals = u32::try_from(fraction_seed % u64::from(max_decimals + 1)).unwrap();
        if decimals == 0 {
            return (format!("{whole}{name}"), u128::from(whole) * nanos);
        }
        let fraction = u128::from(fraction_seed) % 10u128.pow(decimals);
        let text = format!(
            "{whole}.{fraction:0width$}{name}",
            width = decimals as usize
        );
        let value = u128::from(whole) * nanos + fraction * (nanos / 10u128.pow(decimals));
        (text, value)
    })
}

/// A valid duration of one to four parts, e.g. `"1m30s"`, `"2.5h10ms"`.
fn valid_duration() -> impl Strategy<Value = (String, Duration)> {
    prop::collection::vec(part(), 1..=4).prop_map(|parts| {
        let text: String = parts.iter().map(|(text, _)| text.as_str()).collect();
        let nanos: u128 = parts.iter().map(|(_, nanos)| nanos).sum();
        (text, from_nanos(nanos))
    })
}

/// Any `Duration` at all, up to `Duration::MAX`.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(secs, nanos)| Duration::new(secs, nanos)),
        (0u64..1_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| Duration::new(secs, nanos)),
        Just(Duration::MAX),
        Just(Duration::ZERO),
    ]
}

/// Text made of the grammar's own characters, where mistakes are likeliest to slip through.
fn grammar_like() -> impl Strategy<Value = String> {
    "[0-9./ smhdnuµiaycon+-]{0,24}"
}

fn check_message(text: &str, message: &str) {
    assert!(!message.trim().is_empty(), "empty message for {text:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Integration tests have no lib.rs for proptest to put regressions beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_text_is_a_duration_or_a_message(text in any::<String>()) {
        match parse_duration(&text) {
            Ok(duration) => prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration)),
            Err(message) => check_message(&text, &message),
        }
    }

    #[test]
    fn grammar_like_text_is_a_duration_or_a_message(text in grammar_like()) {
        match parse_duration(&text) {
            Ok(duration) => prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration)),
            Err(message) => check_message(&text, &message),
        }
    }

    #[test]
    fn any_text_is_a_rate_or_a_message(text in prop_oneof![any::<String>(), grammar_like()]) {
        match parse_rate(&text) {
            Ok((count, period)) => {
                prop_assert!(count >= 1, "{text:?} gave a zero count");
                prop_assert!(!period.is_zero(), "{text:?} gave a zero period");
                let canonical = format!("{count}/{}", format_duration(period));
                prop_assert_eq!(parse_rate(&canonical), Ok((count, period)));
            }
            Err(message) => check_message(&text, &message),
        }
    }

    #[test]
    fn valid_durations_parse_exactly((text, expected) in valid_duration()) {
        prop_assert_eq!(parse_duration(&text), Ok(expected), "{}", text);
    }

    #[test]
    fn durations_round_trip_through_their_canonical_form(duration in any_duration()) {
        let text = format_duration(duration);
        prop_assert_eq!(parse_duration(&text), Ok(duration), "{}", text);
    }

    #[test]
    fn valid_rates_parse_exactly(
        count in prop_oneof![1u32..1_000, 1u32..=u32::MAX],
        period in prop_oneof![
            Just(("s", Duration::from_secs(1))),
            Just(("sec", Duration::from_secs(1))),
            Just(("second", Duration::from_secs(1))),
            Just(("m", Duration::from_secs(60))),
            Just(("min", Duration::from_secs(60))),
            Just(("minute", Duration::from_secs(60))),
            Just(("h", Duration::from_secs(3600))),
            Just(("hour", Duration::from_secs(3600))),
            Just(("d", Duration::from_secs(86_400))),
            Just(("day", Duration::from_secs(86_400))),
        ],
    ) {
        let (unit, expected) = period;
        prop_assert_eq!(parse_rate(&format!("{count}/{unit}")), Ok((count, expected)));
    }

    #[test]
    fn rates_over_a_duration_parse_exactly(
        count in 1u32..=u32::MAX,
        (text, period) in valid_duration(),
    ) {
        // A period written as a duration must start with a digit (`"5/250ms"`).
        prop_assume!(text.starts_with(|c: char| c.is_ascii_digit()));
        let rate = format!("{count}/{text}");
        if period.is_zero() {
            prop_assert!(parse_rate(&rate).unwrap_err().contains("zero period"));
        } else {
            prop_assert_eq!(parse_rate(&rate), Ok((count, period)), "{}", rate);
        }
    }

    #[test]
    fn rates_round_trip_through_their_canonical_form(
        count in 1u32..=u32::MAX,
        period in any_duration().prop_map(|period| period.max(Duration::from_nanos(1))),
    ) {
        let text = format!("{count}/{}", format_duration(period));
        prop_assert_eq!(parse_rate(&text), Ok((count, period)), "{}", text);
    }

    /// A number whose value in nanoseconds passes `Duration::MAX` is "too large", never a
    /// wrapped value.
    #[test]
    fn overflowing_durations_are_too_large(unit in 0..UNITS.len(), excess in any::<u128>()) {
        let (name, nanos, _) = UNITS[unit];
        let smallest = MAX_NANOS / nanos + 1;
        let number = smallest.saturating_add(excess % (u128::MAX - smallest));
        let text = format!("{number}{name}");
        let message = parse_duration(&text).unwrap_err();
        prop_assert!(message.contains("too large"), "{}: {}", text, message);
    }

    /// Digits beyond any integer type.
    #[test]
    fn huge_numbers_are_too_large(digits in "[1-9][0-9]{40,80}", unit in 0..UNITS.len()) {
        let text = format!("{digits}{}", UNITS[unit].0);
        let message = parse_duration(&text).unwrap_err();
        prop_assert!(message.contains("too large"), "{}: {}", text, message);
        let message = parse_rate(&format!("{digits}/s")).unwrap_err();
        prop_assert!(message.contains("too large"), "{}", message);
    }

    /// Parts that each fit but add up to more than `Duration::MAX`.
    #[test]
    fn overflowing_sums_are_too_large(extra in any_duration()) {
        let extra = format_duration(extra.max(Duration::from_nanos(1)));
        let text = format!("{}{extra}", format_duration(Duration::MAX));
        let message = parse_duration(&text).unwrap_err();
        prop_assert!(message.contains("too large"), "{}: {}", text, message);
    }

    #[test]
    fn overflowing_counts_are_too_large(count in u64::from(u32::MAX) + 1..=u64::MAX) {
        let message = parse_rate(&format!("{count}/s")).unwrap_err();
        prop_assert!(message.contains("too large"), "{}", message);
    }

    #[test]
    fn whitespace_inside_a_duration_is_rejected((text, _) in valid_duration(), at in any::<prop::sample::Index>()) {
        let cut = at.index(text.chars().count() + 1);
        let byte = text.char_indices().nth(cut).map_or(text.len(), |(byte, _)| byte);
        let spaced = format!("{} {}", &text[..byte], &text[byte..]);
        prop_assert!(parse_duration(&spaced).is_err(), "{:?}", spaced);
    }
}
