//! Errors thrown to JavaScript.
//!
//! Every error is a JavaScript `Error` named `QuorumkeyError` with a `code`: for the core's
//! errors, [`quorumkey::Error::code`] unchanged; for this crate's own checks, one of
//! [`BINDING_CODES`]. Where the core names a holder or the guesses left, the error carries
//! them too (`holder`, `culprits`, `guessesRemaining`). The JavaScript layer turns it into
//! an instance of its `QuorumkeyError` class (or `WrongPasswordError`), whose numbers,
//! HTTP statuses, retry flags and messages come from the package's one code table
//! (`js/codes.js`).
//!
//! Messages: with the `messages` feature (the Node.js module) a core error's message is the
//! core's `Display` text. Without it (the browser module) the core's `Display` code and its
//! strings are left out of the module: the message is empty, JavaScript takes the code
//! table's summary, and a decode error adds a `detail` built from the static names the core
//! carries (`capsule: truncated in key version`).

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

/// `parts` joined: messages without the formatting machinery (`format!`), which the
/// browser module would otherwise carry for these few messages.
pub fn join(parts: &[&str]) -> String {
    parts.concat()
}

/// A core error, with the holder(s) and guesses it names.
pub fn core(e: Error) -> JsValue {
    #[cfg(feature = "messages")]
    let error = js_error(e.code(), &e.to_string());
    #[cfg(not(feature = "messages"))]
    let error = {
        let error = js_error(e.code(), "");
        if let Some(detail) = detail(&e) {
            set(&error, "detail", &JsValue::from(detail));
        }
        error
    };
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

/// Where a decode error happened, from the static object and field names the core keeps in
/// the error (no formatting machinery: the browser module is size-bound).
#[cfg(not(feature = "messages"))]
fn detail(e: &Error) -> Option<String> {
    use quorumkey::codec::DecodeError as D;
    let Error::Decode { object, error } = e else {
        return None;
    };
    let (what, field) = match error {
        D::Truncated { field } => ("truncated in ", *field),
        D::TrailingBytes { .. } => ("trailing bytes", ""),
        D::BadMagic => ("not a quorumkey object", ""),
        D::WrongObjectType { .. } => ("another object type", ""),
        D::UnknownVersion(_) => ("unsupported format version", ""),
        D::UnknownSuite(_) => ("unknown suite", ""),
        D::UnknownValue { field, .. } => ("unknown value of ", *field),
        D::FieldLength { field, .. } => ("bad length of ", *field),
        D::NotUtf8 { field } => ("not UTF-8: ", *field),
        D::NotAscending { field } => ("not in ascending order: ", *field),
        D::OutOfRange { field, .. } => ("out of range: ", *field),
        D::Element { field, .. } => ("not a valid element: ", *field),
        _ => ("malformed", ""),
    };
    let mut out = String::with_capacity(object.len() + what.len() + field.len() + 2);
    out.push_str(object);
    out.push_str(": ");
    out.push_str(what);
    out.push_str(field);
    Some(out)
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
