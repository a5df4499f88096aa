//! Argument and result conversions shared by the exports.

use js_sys::{Array, Object, Reflect, Uint8Array};
use rand_core::UnwrapErr;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{JsResult, invalid, join};

/// The platform's CSPRNG (`crypto.getRandomValues`). The JavaScript loader checks it exists
/// before the module is used, so it cannot fail here.
pub(crate) fn os_rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// The randomness every client call uses: [`os_rng`].
#[cfg(not(feature = "test-rng"))]
pub(crate) fn rng() -> UnwrapErr<getrandom::SysRng> {
    os_rng()
}

/// TESTS ONLY: the client's named stream (see [`crate::test_rng`]).
#[cfg(feature = "test-rng")]
pub(crate) fn rng() -> crate::test_rng::Stream {
    crate::test_rng::Stream("client".into())
}

/// The randomness a key server's `handle` uses: [`os_rng`].
#[cfg(all(feature = "server", not(feature = "test-rng")))]
pub(crate) fn server_rng(
    _server: &quorumkey::keyserver::KeyServer,
) -> UnwrapErr<getrandom::SysRng> {
    os_rng()
}

/// TESTS ONLY: the stream named by the server's current-generation fingerprint (hex).
#[cfg(all(feature = "server", feature = "test-rng"))]
pub(crate) fn server_rng(server: &quorumkey::keyserver::KeyServer) -> crate::test_rng::Stream {
    let name = server
        .generation_fingerprint(server.current_generation())
        .map(|k| {
            k.to_bytes()
                .iter()
                .map(|b| {
                    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
                    [digit(b >> 4), digit(b & 15)]
                })
                .flat_map(|pair| pair.into_iter())
                .collect()
        })
        .unwrap_or_default();
    crate::test_rng::Stream(name)
}

/// A JavaScript number that must be an integer in `0..=max`.
pub(crate) fn int(value: f64, max: u32, what: &str) -> JsResult<u32> {
    if value.fract() == 0.0 && (0.0..=f64::from(max)).contains(&value) {
        // In range and integral: the conversion is exact.
        Ok(value as u32)
    } else {
        Err(invalid(&join(&[what, " must be an integer in range"])))
    }
}

/// A JavaScript number that must be an integer in `0..=255`.
pub(crate) fn byte(value: f64, what: &str) -> JsResult<u8> {
    int(value, u32::from(u8::MAX), what).map(|v| u8::try_from(v).unwrap_or(u8::MAX))
}

/// A holder id (`1..=255`).
pub(crate) fn holder(value: f64) -> JsResult<quorumkey::sharing::HolderId> {
    quorumkey::sharing::HolderId::new(byte(value, "holder id")?)
        .map_err(|_| invalid("holder id must be an integer in 1..=255"))
}

/// The `Uint8Array`s of an array (`null`/`undefined` entries allowed when `optional`).
pub(crate) fn byte_arrays(list: &Array, what: &str) -> JsResult<Vec<Option<Vec<u8>>>> {
    list.iter()
        .map(|item| {
            if item.is_null() || item.is_undefined() {
                Ok(None)
            } else {
                item.dyn_into::<Uint8Array>()
                    .map(|a| Some(a.to_vec()))
                    .map_err(|_| invalid(&join(&[what, " must be Uint8Arrays"])))
            }
        })
        .collect()
}

/// Like [`byte_arrays`], with no empty entries allowed.
pub(crate) fn required_byte_arrays(list: &Array, what: &str) -> JsResult<Vec<Vec<u8>>> {
    byte_arrays(list, what)?
        .into_iter()
        .map(|item| item.ok_or_else(|| invalid(&join(&[what, " must be Uint8Arrays"]))))
        .collect()
}

/// A plain object being filled in.
pub(crate) struct Obj(Object);

impl Obj {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    pub(crate) fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        // Defining a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    pub(crate) fn bytes(self, key: &str, value: &[u8]) -> Self {
        self.set(key, Uint8Array::from(value))
    }

    pub(crate) fn opt_bytes(self, key: &str, value: Option<&[u8]>) -> Self {
        match value {
            Some(v) => self.bytes(key, v),
            None => self.set(key, JsValue::NULL),
        }
    }

    pub(crate) fn done(self) -> JsValue {
        self.0.into()
    }
}

/// `Array` of `Uint8Array`s.
pub(crate) fn array_of_bytes<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Array {
    items
        .into_iter()
        .map(|b| JsValue::from(Uint8Array::from(b)))
        .collect()
}

/// A key-server request as JavaScript sees it: where to send it and its body.
pub(crate) fn request(request: &quorumkey::gate::ServerRequest) -> JsValue {
    let holders: Array = request
        .holders
        .iter()
        .map(|h| JsValue::from(h.get()))
        .collect();
    Obj::new()
        .set("keyId", request.key_id.as_str())
        .set("holders", holders)
        .set("purpose", request.request.purpose().name())
        .set("keyVersion", request.request.key_version())
        .bytes("body", &request.request.to_bytes())
        .done()
}

/// [`request`] for each.
pub(crate) fn requests(list: &[quorumkey::gate::ServerRequest]) -> Array {
    list.iter().map(request).collect()
}
