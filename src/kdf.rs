//! Every key and digest quorumkey derives, with its context string and byte framing.
//!
//! All derivations are BLAKE3 `derive_key(context, material)` with fixed, unique context
//! strings; the material is a concatenation of fixed-length fields, or of fields whose
//! length is fixed by what precedes them, so no two inputs frame alike.
//! See `spec/protocol.md` §7 "Derivations".

use zeroize::{Zeroize, Zeroizing};

/// Context for the vault header digest.
pub const CONTEXT_HEADER: &str = "quorumkey v2 header";
/// Context for a capsule's AEAD key.
pub const CONTEXT_CAPSULE: &str = "quorumkey v2 capsule";
/// Context for the root key.
pub const CONTEXT_ROOT: &str = "quorumkey v2 root";
/// Context for a unit's AEAD key.
pub const CONTEXT_UNIT: &str = "quorumkey v2 unit";
/// Context for the unlock tag a client shows a key server after a successful unlock.
pub const CONTEXT_UNLOCK_TAG: &str = "quorumkey v2 unlock tag";
/// Context for the commitment to an unlock tag that a key server stores.
pub const CONTEXT_TAG_COMMITMENT: &str = "quorumkey v2 unlock tag commitment";
/// Context for a share card's text checksum.
pub const CONTEXT_CARD_CHECKSUM: &str = "quorumkey v2 card checksum";
/// Context for the request digest in a key server's audit event.
pub const CONTEXT_AUDIT_REQUEST: &str = "quorumkey v2 audit request";
/// Context for the links of a key server's per-user audit hash chain.
pub const CONTEXT_AUDIT_CHAIN: &str = "quorumkey v2 audit chain";

/// A 32-byte derived digest or key.
pub type Digest = [u8; 32];

/// `derive_key(context, parts[0] ‖ parts[1] ‖ …)`.
pub(crate) fn derive(context: &str, parts: &[&[u8]]) -> Zeroizing<Digest> {
    let mut hasher = blake3::Hasher::new_derive_key(context);
    for part in parts {
        hasher.update(part);
    }
    let mut hash = hasher.finalize();
    let out = Zeroizing::new(*hash.as_bytes());
    // The hasher buffers the last input block (secret material: shares, OPRF outputs,
    // passwords); neither it nor the hash type zeroizes on drop.
    hash.zeroize();
    hasher.zeroize();
    out
}

/// `derive_key(context, …)` for public digests (no zeroizing needed).
pub(crate) fn digest(context: &str, parts: &[&[u8]]) -> Digest {
    *derive(context, parts)
}
