//! The attributes read duration and rate literals through `resilience_syntax`, exactly as the
//! runtime reads configuration: any string literal gives the grammar's value or its message
//! (never a panic), and the generated `Duration::new(secs, nanos)` holds exactly that value.

use std::time::Duration;

use darling::FromMeta;
use proc_macro2::Span;
use proptest::prelude::*;
use resilience_syntax::{format_duration, parse_duration, parse_rate};
use syn::{Expr, ExprLit, Lit, LitInt, LitStr};

use super::{DurationLit, Int, RateLit, duration_tokens};

fn string_literal(text: &str) -> Expr {
    Expr::Lit(ExprLit {
        attrs: Vec::new(),
        lit: Lit::Str(LitStr::new(text, Span::call_site())),
    })
}

/// Text likely to be near the grammar, and any text at all.
fn literal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9./ smhdnuµiay]{0,20}",
        "[0-9]{1,12}/[0-9a-z]{0,6}",
    ]
}

/// `::core::time::Duration::new(secs, nanos)` back to a `Duration`.
fn evaluate(tokens: &proc_macro2::TokenStream) -> Duration {
    let Expr::Call(call) = syn::parse2::<Expr>(tokens.clone()).expect("an expression") else {
        panic!("not a call: {tokens}");
    };
    let number = |expr: &Expr| match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_digits().to_owned(),
        other => panic!("not an integer: {other:?}"),
    };
    Duration::new(
        number(&call.args[0]).parse().unwrap(),
        number(&call.args[1]).parse().unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn duration_literals_read_as_the_grammar(text in literal_text()) {
        let read = DurationLit::from_expr(&string_literal(&text));
        match (parse_duration(&text), read) {
            (Ok(expected), Ok(lit)) => {
                prop_assert_eq!(lit.value, expected);
                prop_assert_eq!(evaluate(&duration_tokens(lit.value)), expected);
            }
            (Err(expected), Err(error)) => prop_assert_eq!(error.to_string(), expected),
            (expected, read) => prop_assert!(false, "{:?}: {:?} but {:?}", text, expected, read.map(|lit| lit.value)),
        }
    }

    #[test]
    fn generated_durations_are_exact(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
        let duration = Duration::new(secs, nanos);
        let lit = DurationLit::from_expr(&string_literal(&format_duration(duration))).unwrap();
        prop_assert_eq!(evaluate(&duration_tokens(lit.value)), duration);
    }

    #[test]
    fn rate_literals_read_as_the_grammar(text in literal_text()) {
        let read = RateLit::from_expr(&string_literal(&text));
        match (parse_rate(&text), read) {
            (Ok(expected), Ok(lit)) => prop_assert_eq!((lit.count, lit.period), expected),
            (Err(expected), Err(error)) => prop_assert_eq!(error.to_string(), expected),
            (expected, read) => prop_assert!(false, "{:?}: {:?} but {:?}", text, expected, read.map(|lit| (lit.count, lit.period))),
        }
    }

    /// Integer literals of any size: the value, or "number too large"; never a panic.
    #[test]
    fn integer_literals_never_panic(digits in "[0-9]{1,45}") {
        let expr = Expr::Lit(ExprLit {
            attrs: Vec::new(),
            lit: Lit::Int(LitInt::new(&digits, Span::call_site())),
        });
        match (digits.parse::<u64>(), Int::from_expr(&expr)) {
            (Ok(expected), Ok(int)) => prop_assert_eq!(int.value, expected),
            (Err(_), Err(error)) => prop_assert!(error.to_string().contains("too large")),
            (expected, read) => prop_assert!(false, "{}: {:?} but {:?}", digits, expected, read.map(|int| int.value)),
        }
        // A bare number where a duration goes says to add a unit.
        let error = DurationLit::from_expr(&expr).unwrap_err().to_string();
        prop_assert!(error.contains("with a unit"), "{}", error);
    }
}
