//! "Did you mean" suggestions by edit distance.

/// The closest candidate to `input`, if it is close enough to be a plausible typo.
///
/// Compares case-insensitively by edit distance; a candidate qualifies when at most about a
/// third of its letters (at least one, plus one) would have to change.
///
/// ```
/// use resilience_syntax::did_you_mean;
///
/// let keys = ["failure_threshold", "failure_rate", "window"];
/// assert_eq!(did_you_mean("failure_treshold", &keys), Some("failure_threshold"));
/// assert_eq!(did_you_mean("colour", &keys), None);
/// ```
#[must_use]
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| (levenshtein(&input, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1) + 1)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let words = ["exponential", "linear", "fixed", "decorrelated"];
        assert_eq!(did_you_mean("exponental", &words), Some("exponential"));
        assert_eq!(did_you_mean("Linear", &words), Some("linear"));
        assert_eq!(did_you_mean("quadratic", &words), None);
    }
}
