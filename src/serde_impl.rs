//! `serde` support: every wire type serializes as its canonical bytes (see
//! `spec/wire-format.md`) and deserializes through its strict decoder. Secret types (shares,
//! share cards) are deliberately left out: their bytes come out only through the
//! explicitly named `to_secret_bytes`.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

use crate::suite::Suite;

struct BytesVisitor<T>(PhantomData<T>, fn(&[u8]) -> Result<T, crate::Error>);

impl<'de, T> Visitor<'de> for BytesVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quorumkey object's canonical bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<T, E> {
        (self.1)(v).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        (self.1)(&bytes).map_err(de::Error::custom)
    }
}

macro_rules! serde_as_bytes {
    ($($ty:ident),* $(,)?) => {$(
        impl<Q: Suite> serde::Serialize for crate::generic::$ty<Q> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(&self.to_bytes())
            }
        }

        impl<'de, Q: Suite> serde::Deserialize<'de> for crate::generic::$ty<Q> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_bytes(BytesVisitor(PhantomData, Self::from_bytes))
            }
        }
    )*};
}

// Every suite: an object's bytes name (or, with its header, imply) its suite.
serde_as_bytes!(VaultHeader, Capsule, SealedUnit, GateRequest, GateResponse);

impl serde::Serialize for crate::policy::Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> serde::Deserialize<'de> for crate::policy::Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(BytesVisitor(PhantomData, |b| {
            crate::policy::Policy::from_bytes(b).map_err(crate::Error::PolicyDecode)
        }))
    }
}
