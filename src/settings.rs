//! Helpers shared by every layer that reads settings: TOML values into typed structs with
//! messages that name the key and its closest valid spelling, "did you mean" suggestions, and
//! non-finite floats in JSON/CSV. Below `loss`, `train` and `eval`, so each imports it downwards.

use crate::error::{Error, Result};

/// A setting's value on its way to the loss: typed (boolean, integer, float, string), as a
/// TOML value is — never text that is parsed again. `0.5.into()`, `true.into()`,
/// `"released".into()`.
pub type Value = toml::Value;

/// A value a user typed (`train --param KEY=VALUE`): a TOML literal (`0.5`, `true`, `3`,
/// `"released"`), or else the bare word as a string (`released`). The one place where the text
/// of a setting becomes a [`Value`].
pub fn parse_value(text: &str) -> Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// Deserialise a TOML value, turning serde's "unknown field" into a message that names the key,
/// the source and the closest valid key.
///
/// # Errors
/// [`Error::Config`] naming `source`.
pub fn from_toml_value<T: serde::de::DeserializeOwned>(v: toml::Value, source: &str) -> Result<T> {
    T::deserialize(v).map_err(|e| {
        let msg = e.to_string();
        Error::Config {
            path: source.into(),
            reason: format!("{}{}", msg.trim_end(), unknown_key_hint(&msg)),
        }
    })
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"), the
/// closest expected name as "; did you mean `a`?"; empty otherwise.
fn unknown_key_hint(msg: &str) -> String {
    let Some(rest) = msg
        .split_once("unknown field `")
        .or_else(|| msg.split_once("unknown variant `"))
        .map(|(_, r)| r)
    else {
        return String::new();
    };
    let Some((bad, expected)) = rest.split_once('`') else {
        return String::new();
    };
    let names: Vec<&str> = expected
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    suggestion(bad, &names)
}

/// "; did you mean `name`?" for the candidate closest to `bad` (edit distance ≤ max(2, len/3)),
/// or an empty string.
pub fn suggestion(bad: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (edit_distance(bad, c), *c))
        .filter(|(d, _)| *d <= (bad.chars().count() / 3).max(2))
        .min()
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Edit distance with adjacent transpositions (optimal string alignment): insertions,
/// deletions, substitutions and swaps of neighbours each cost 1 (`ldma` → `ldam` is 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, v) in d[0].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Serialise non-finite floats as `null` (JSON) / an empty field (CSV), and read them back as
/// NaN (JSON has no NaN).
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Deserialise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
