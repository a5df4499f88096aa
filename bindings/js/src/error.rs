//! Errors thrown to JavaScript.
//!
//! Every error is a JavaScript `Error` named `QuorumkeyError` with a `code`: for the core's
//! errors, [`quorumkey::Error::code`] unchanged; for this crate's own checks, one of
//! [`BINDING_CODES`]. Where the core names a holder or the guesses left, the error carries
//! them too (`holder`, `culprits`, `guessesRemaining`). The JavaScript layer turns it into
//! an instance of its `QuorumkeyError` class (or `WrongPasswordError`), whose numbers,
//! HTTP statuses and retry flags come from the package's one code table (`js/codes.js`).

use js_sys::{Array, Reflect};
use quorumkey::Error;
use wasm_bindgen::JsValue;

/// The result of every fallible export: the error is a thrown `QuorumkeyError`.
pub type JsResult<T> = Result<T, JsValue>;

/// Codes this crate raises itself, besides the core's.
pub const BINDING_CODES: [&str; 3] = [INVALID_ARGUMENT, CONSUMED, LOCKED];
/// An argument of the wrong type or out of range.
pub const INVALID_ARGUMENT: &str = "invalid_argument";
/// A single-use object (pending enrollment, unlock, re-seal, outcome) used a second time.
pub const CONSUMED: &str = "consumed";
/// The vault was locked.
pub const LOCKED: &str = "locked";

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn js_error(code: &str, message: &str) -> JsValue {
    let error: JsValue = js_sys::Error::new(message).into();
    set(&error, "name", &JsValue::from_str("QuorumkeyError"));
    set(&error, "code", &JsValue::from_str(code));
    error
}

/// An error of this crate's own (`code` one of [`BINDING_CODES`]).
pub fn binding(code: &'static str, message: &str) -> JsValue {
    js_error(code, message)
}

/// An [`INVALID_ARGUMENT`] error naming the argument.
pub fn invalid(what: &str) -> JsValue {
    binding(INVALID_ARGUMENT, what)
}

/// A core error, with the holder(s) and guesses it names.
pub fn core(e: Error) -> JsValue {
    let error = js_error(e.code(), &e.to_string());
    let holder = match e {
        Error::WrongPassword {
            holder,
            guesses_remaining,
        } => {
            if let Some(left) = guesses_remaining {
                set(&error, "guessesRemaining", &JsValue::from(left));
            }
            Some(holder)
        }
        Error::InvalidShares { culprits } => {
            let list: Array = culprits.iter().map(|h| JsValue::from(h.get())).collect();
            set(&error, "culprits", &list);
            None
        }
        Error::WrongVault { holder }
        | Error::StaleEpoch { holder, .. }
        | Error::HeaderMismatch { holder }
        | Error::BadProof { holder }
        | Error::CapsuleOpen { holder }
        | Error::UnexpectedResponse { holder }
        | Error::PasswordPresence { holder }
        | Error::MissingResponse { holder }
        | Error::MissingPin { holder }
        | Error::UntrustedKey { holder }
        | Error::KeyVersionNotNewer { holder, .. }
        | Error::KeyIdMismatch { holder } => Some(holder),
        Error::UnknownHolder(holder)
        | Error::WrongHolderKind(holder)
        | Error::DuplicateHolder(holder) => Some(holder),
        _ => None,
    };
    if let Some(holder) = holder {
        set(&error, "holder", &JsValue::from(holder.get()));
    }
    error
}

#[cfg(test)]
mod tests {
    //! The code table: every code the core's `Error::code` can return, and every code this
    //! crate raises, has exactly one row in the package's table (`js/codes.js`).

    use super::BINDING_CODES;

    const CORE_ERRORS: &str = include_str!("../../../src/error.rs");
    const TABLE: &str = include_str!("../js/codes.js");

    /// The string literals returned by the arms of `Error::code`.
    fn core_codes() -> Vec<String> {
        let body = CORE_ERRORS
            .split("pub fn code(&self)")
            .nth(1)
            .and_then(|rest| rest.split("\n    }\n").next())
            .unwrap_or_default();
        let mut codes: Vec<String> = body
            .split("=> \"")
            .skip(1)
            .chain(body.split("\n                \"").skip(1))
            .filter_map(|s| s.split('"').next())
            .map(str::to_owned)
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// The codes of the table's rows (`  code: [number, …`).
    fn table_codes() -> Vec<String> {
        TABLE
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let (code, rest) = l.split_once(": [")?;
                rest.chars()
                    .next()?
                    .is_ascii_digit()
                    .then(|| code.to_owned())
            })
            .collect()
    }

    #[test]
    fn core_codes_are_found() {
        let codes = core_codes();
        for expected in ["malformed", "wrong_password", "batch_size", "unit_rollback"] {
            assert!(
                codes.iter().any(|c| c == expected),
                "{expected} not parsed: {codes:?}"
            );
        }
        assert!(codes.len() > 40, "{codes:?}");
    }

    #[test]
    fn every_code_has_exactly_one_row() {
        let table = table_codes();
        for code in core_codes().iter().map(String::as_str).chain(BINDING_CODES) {
            let rows = table.iter().filter(|c| *c == code).count();
            assert_eq!(rows, 1, "code {code} has {rows} rows in js/codes.js");
        }
    }

    #[test]
    fn numbers_are_unique() {
        let mut numbers: Vec<&str> = TABLE
            .lines()
            .filter_map(|l| l.split_once(": [")?.1.split(',').next())
            .filter(|n| n.trim().chars().all(|c| c.is_ascii_digit()))
            .collect();
        let total = numbers.len();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(
            numbers.len(),
            total,
            "a number is used twice in js/codes.js"
        );
    }
}
