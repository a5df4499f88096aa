//! XChaCha20-Poly1305 with 24-byte random nonces: the one AEAD quorumkey uses.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};

/// AEAD nonce length (XChaCha20-Poly1305).
pub const NONCE_LEN: usize = 24;
/// AEAD tag length (Poly1305).
pub const TAG_LEN: usize = 16;

/// Encrypts `buffer` in place under `key`, binding `ad`; returns the tag.
///
/// Fails only if the message is longer than XChaCha20 allows, which every caller rules out
/// by its own size limits; that case returns `None`.
pub(crate) fn seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    buffer: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(nonce.into(), ad, buffer.into())
        .ok()?;
    Some(tag.into())
}

/// Decrypts `buffer` in place; `false` (and `buffer` unspecified) if authentication fails.
#[must_use]
pub(crate) fn open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt_inout_detached(nonce.into(), ad, buffer.into(), tag.into())
        .is_ok()
}
