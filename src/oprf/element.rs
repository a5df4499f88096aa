//! Public elements (blinded, evaluated, public keys) and the secret OPRF output, generic
//! over the suite.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::Error;
use crate::suite::{ByteArray, Suite};

/// A non-identity group element with its cached encoding (hashed into proofs, so encoding
/// once saves a field inversion per use).
pub(crate) struct Element<S: Suite> {
    pub(crate) point: S::Point,
    pub(crate) bytes: S::ElementBytes,
}

impl<S: Suite> Clone for Element<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Suite> Copy for Element<S> {}

impl<S: Suite> PartialEq for Element<S> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<S: Suite> Eq for Element<S> {}

impl<S: Suite> Element<S> {
    pub(crate) fn from_point(point: S::Point) -> Self {
        Self {
            point,
            bytes: S::encode_element(&point),
        }
    }

    /// Elements for a batch of points, encoded together ([`Suite::encode_elements`]: one
    /// field inversion for a whole P-256 batch). Same bytes as [`Element::from_point`].
    #[cfg(feature = "alloc")]
    pub(crate) fn from_points(points: alloc::vec::Vec<S::Point>) -> alloc::vec::Vec<Self> {
        let encoded = S::encode_elements(&points);
        points
            .into_iter()
            .zip(encoded)
            .map(|(point, bytes)| Self { point, bytes })
            .collect()
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let point = S::decode_element(bytes)?;
        let mut array = S::ElementBytes::zeroed();
        array.as_mut().copy_from_slice(bytes);
        Ok(Self {
            point,
            bytes: array,
        })
    }
}

impl<S: Suite> AsRef<Element<S>> for Element<S> {
    fn as_ref(&self) -> &Element<S> {
        self
    }
}

macro_rules! public_element {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<S: Suite>(pub(crate) Element<S>);

        impl<S: Suite> Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<S: Suite> Copy for $name<S> {}

        impl<S: Suite> PartialEq for $name<S> {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }

        impl<S: Suite> Eq for $name<S> {}

        impl<S: Suite> $name<S> {
            /// The encoding (RFC 9497 `SerializeElement`): 33 bytes SEC1 compressed for
            /// P-256, 32 bytes for ristretto255.
            pub fn to_bytes(&self) -> S::ElementBytes {
                self.0.bytes
            }

            /// The encoding, borrowed.
            pub fn as_bytes(&self) -> &S::ElementBytes {
                &self.0.bytes
            }

            /// Decodes an element: exactly the suite's length, canonical, in the group,
            /// not the identity (RFC 9497 `DeserializeElement`).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
                Element::from_bytes(bytes).map(Self)
            }
        }

        impl<S: Suite> AsRef<Element<S>> for $name<S> {
            fn as_ref(&self) -> &Element<S> {
                &self.0
            }
        }

        impl<S: Suite> fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "("))?;
                crate::group::write_hex(f, self.0.bytes.as_ref())?;
                f.write_str(")")
            }
        }
    };
}

public_element!(
    /// A blinded element `r·HashToGroup(input)`, sent by the client (public).
    BlindedElement
);
public_element!(
    /// An evaluated element, returned by the server (public).
    EvaluatedElement
);
public_element!(
    /// A server public key `pkS = skS·G` (public).
    PublicKey
);

/// An OPRF output, `Nh` bytes (32 for P256-SHA256, 64 for ristretto255-SHA512). Secret:
/// zeroized on drop, redacted in `Debug`, compared in constant time. Read it with
/// [`Output::as_secret_bytes`] or [`Output::to_secret_bytes`].
pub struct Output<S: Suite>(S::OutputBytes);

impl<S: Suite> Clone for Output<S> {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl<S: Suite> Output<S> {
    pub(crate) fn new(bytes: S::OutputBytes) -> Self {
        Self(bytes)
    }

    /// Borrows the secret output bytes.
    pub fn as_secret_bytes(&self) -> &S::OutputBytes {
        &self.0
    }

    /// Copies the secret output bytes into a buffer that zeroizes on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<S::OutputBytes> {
        Zeroizing::new(self.0)
    }
}

impl<S: Suite> ConstantTimeEq for Output<S> {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_ref().ct_eq(other.0.as_ref())
    }
}

impl<S: Suite> PartialEq for Output<S> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<S: Suite> Eq for Output<S> {}

impl<S: Suite> fmt::Debug for Output<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Output(<redacted>)")
    }
}

impl<S: Suite> Drop for Output<S> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<S: Suite> ZeroizeOnDrop for Output<S> {}
