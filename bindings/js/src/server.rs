//! The key-server role (for Node.js API servers): the core's `KeyServer::handle`, with the
//! record and audit event handed to JavaScript for storing before the answer is released.

use js_sys::{Array, Reflect, Uint8Array};
use quorumkey::keyserver::{self, AuditAction, AuditEvent, Operation, UserRecord};
use quorumkey::oprf::Mode;
use quorumkey::suite::SuiteId;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::convert::{self, Obj, int};
use crate::error::{self, CONSUMED, JsResult, core, invalid};

/// A key server: master seeds by generation (secret; zeroized when freed).
#[wasm_bindgen]
pub struct KeyServer {
    inner: keyserver::KeyServer,
}

#[wasm_bindgen]
impl KeyServer {
    /// A key server with `generations` (`[{generation, seed}]`, each seed 32 bytes) and
    /// `current` the generation new key versions use; `max_guesses_limit` caps what a
    /// client may ask for (default 10).
    #[wasm_bindgen(constructor)]
    pub fn new(
        generations: &Array,
        current: f64,
        max_guesses_limit: Option<f64>,
    ) -> JsResult<KeyServer> {
        let mut seeds = Vec::with_capacity(generations.length() as usize);
        for entry in generations.iter() {
            let generation = Reflect::get(&entry, &JsValue::from_str("generation"))
                .ok()
                .and_then(|g| g.as_f64())
                .ok_or_else(|| invalid("each generation needs a numeric `generation`"))?;
            let generation = int(generation, u32::MAX, "generation")?;
            let seed = Reflect::get(&entry, &JsValue::from_str("seed"))
                .ok()
                .and_then(|s| s.dyn_into::<Uint8Array>().ok())
                .ok_or_else(|| invalid("each generation needs a `seed` Uint8Array"))?;
            let mut bytes = Zeroizing::new([0u8; keyserver::MASTER_SEED_LEN]);
            if seed.length() as usize != keyserver::MASTER_SEED_LEN {
                return Err(invalid("a master seed must be 32 bytes"));
            }
            seed.copy_to(&mut bytes[..]);
            seeds.push((generation, bytes));
        }
        let current = int(current, u32::MAX, "current generation")?;
        let mut inner = keyserver::KeyServer::with_generations(seeds, current).map_err(core)?;
        if let Some(limit) = max_guesses_limit {
            inner = inner.with_max_guesses_limit(convert::byte(limit, "maxGuessesLimit")?);
        }
        Ok(Self { inner })
    }

    /// The generation new key versions use.
    #[wasm_bindgen(getter, js_name = currentGeneration)]
    pub fn current_generation(&self) -> u32 {
        self.inner.current_generation()
    }

    /// The generations held, ascending.
    pub fn generations(&self) -> Vec<u32> {
        self.inner.generations().collect()
    }

    /// A generation's public fingerprint for the key directory.
    pub fn fingerprint(&self, generation: f64) -> JsResult<Option<Vec<u8>>> {
        let generation = int(generation, u32::MAX, "generation")?;
        Ok(self
            .inner
            .generation_fingerprint(generation)
            .map(|k| k.to_bytes().to_vec()))
    }

    /// Carries out `operation` (`evaluate`, `get_keys`, `add_key_version`,
    /// `drop_key_version`, `set_password`, `confirm_unlock`, `change_tag`) for the
    /// authenticated `user`, whose stored record is `record` (or none). Key sets are
    /// answered in `suite` (`p256`, the default, or `ristretto255` when built with it); a
    /// gate request is evaluated in the suite it names.
    pub fn handle(
        &self,
        user: &[u8],
        record: Option<Vec<u8>>,
        operation: &str,
        body: Option<Vec<u8>>,
        version: Option<f64>,
        suite: Option<String>,
    ) -> JsResult<Outcome> {
        let suite = match suite.as_deref() {
            None => SuiteId::P256,
            Some(name) => SuiteId::from_name(name).ok_or_else(|| {
                invalid("suite must be p256 or ristretto255 (in a build with it)")
            })?,
        };
        let record = record
            .map(|r| UserRecord::from_bytes(&Zeroizing::new(r)))
            .transpose()
            .map_err(core)?;
        let body = body.unwrap_or_default();
        let operation = match operation {
            "evaluate" => Operation::Evaluate(&body),
            "get_keys" => Operation::GetKeys,
            "add_key_version" => Operation::AddKeyVersion,
            "drop_key_version" => Operation::DropKeyVersion(int(
                version.ok_or_else(|| invalid("drop_key_version needs a version"))?,
                u32::MAX,
                "version",
            )?),
            "set_password" => Operation::SetPassword(&body),
            "confirm_unlock" => Operation::ConfirmUnlock(&body),
            "change_tag" => Operation::ChangeTag(&body),
            _ => return Err(invalid("unknown key-server operation")),
        };
        let inner = self
            .inner
            .handle_in(
                suite,
                user,
                record.as_ref(),
                operation,
                &mut convert::server_rng(&self.inner),
            )
            .map_err(core)?;
        Ok(Outcome { inner: Some(inner) })
    }
}

/// A record's revision (the compare-and-set version).
#[wasm_bindgen(js_name = recordRevision)]
pub fn record_revision(record: Vec<u8>) -> JsResult<f64> {
    let record = UserRecord::from_bytes(&Zeroizing::new(record)).map_err(core)?;
    // Revisions grow by one per change: far below 2^53.
    Ok(record.revision() as f64)
}

/// What `handle` did: a record to store first (if any), then the response.
#[wasm_bindgen]
pub struct Outcome {
    inner: Option<keyserver::Outcome>,
}

#[wasm_bindgen]
impl Outcome {
    fn get(&self) -> JsResult<&keyserver::Outcome> {
        self.inner
            .as_ref()
            .ok_or_else(|| error::binding(CONSUMED, "this outcome was already released"))
    }

    /// The record to store (secret!) with compare-and-set, or `undefined`.
    pub fn update(&self) -> JsResult<Option<Uint8Array>> {
        Ok(self
            .get()?
            .record_update()
            .map(|r| Uint8Array::from(&r.to_secret_bytes()[..])))
    }

    /// The update's revision, or `undefined`.
    #[wasm_bindgen(js_name = updateRevision)]
    pub fn update_revision(&self) -> JsResult<Option<f64>> {
        Ok(self.get()?.record_update().map(|r| r.revision() as f64))
    }

    /// The audit event to store with the update (or alone), or `undefined`.
    pub fn audit(&self) -> JsResult<Option<Audit>> {
        Ok(self
            .get()?
            .audit_event()
            .cloned()
            .map(|inner| Audit { inner }))
    }

    /// The response body, once the update is stored: `stored` is the record as the store
    /// now holds it (`undefined` if there was no update).
    pub fn release(&mut self, stored: Option<Vec<u8>>) -> JsResult<Vec<u8>> {
        let stored = stored
            .map(|r| UserRecord::from_bytes(&Zeroizing::new(r)))
            .transpose()
            .map_err(core)?;
        let outcome = self
            .inner
            .take()
            .ok_or_else(|| error::binding(CONSUMED, "this outcome was already released"))?;
        Ok(outcome.release(stored.as_ref()).map_err(core)?.body)
    }
}

/// An audit event.
#[wasm_bindgen]
pub struct Audit {
    inner: AuditEvent,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Oprf => "oprf",
        Mode::Voprf => "voprf",
        Mode::Poprf => "poprf",
    }
}

#[wasm_bindgen]
impl Audit {
    /// The event's fields as in `spec/http-api.md` §6 (camelCase; fields that do not
    /// apply are `null`).
    pub fn fields(&self) -> JsValue {
        let action = &self.inner.action;
        let null = JsValue::NULL;
        let mut o = Obj::new()
            .set("action", action.name())
            .set("purpose", null.clone())
            .set("keyVersion", null.clone())
            .set("mode", null.clone())
            .set("info", null.clone())
            .set("elementCount", null.clone())
            .set("guessesRemaining", null.clone())
            .set("requestDigest", null.clone())
            .set("version", null.clone())
            .set("generation", null.clone())
            .set("maxGuesses", null);
        match action {
            AuditAction::Evaluated {
                purpose,
                key_version,
                mode,
                info,
                element_count,
                guesses_remaining,
                request_digest,
            } => {
                o = o
                    .set("purpose", purpose.name())
                    .set("keyVersion", *key_version)
                    .set("mode", mode_name(*mode))
                    .opt_bytes("info", info.as_deref())
                    .set("elementCount", *element_count as u32)
                    .set("guessesRemaining", guesses_remaining.map(u32::from))
                    .bytes("requestDigest", request_digest);
            }
            AuditAction::KeyVersionAdded {
                version,
                generation,
            } => {
                o = o.set("version", *version).set("generation", *generation);
            }
            AuditAction::KeyVersionDropped { version } => o = o.set("version", *version),
            AuditAction::PasswordSet { max_guesses } => o = o.set("maxGuesses", *max_guesses),
            _ => {}
        }
        o.done()
    }

    /// The event's canonical bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The next link of the user's audit hash chain after `previous` (32 zero bytes for
    /// the first event), for event number `seq` at `time_ms`.
    pub fn chain(&self, previous: &[u8], seq: f64, time_ms: f64) -> JsResult<Vec<u8>> {
        let previous: [u8; 32] = previous
            .try_into()
            .map_err(|_| invalid("the previous chain link must be 32 bytes"))?;
        let seq = whole(seq, "seq")?;
        let time_ms = whole(time_ms, "time_ms")?;
        Ok(self.inner.chain(&previous, seq, time_ms).to_vec())
    }
}

/// A JavaScript number that must be a non-negative integer below 2^53.
fn whole(value: f64, what: &str) -> JsResult<u64> {
    if value.fract() == 0.0 && (0.0..9.0e15).contains(&value) {
        // Checked just above: a non-negative integer below 2^53, so exact.
        Ok(value as u64)
    } else {
        Err(invalid(&error::join(&[
            what,
            " must be a non-negative integer",
        ])))
    }
}

/// Every operation name [`KeyServer::handle`] accepts (for the JavaScript router's tests).
#[wasm_bindgen(js_name = operationNames)]
pub fn operation_names() -> Array {
    [
        "evaluate",
        "get_keys",
        "add_key_version",
        "drop_key_version",
        "set_password",
        "confirm_unlock",
        "change_tag",
    ]
    .into_iter()
    .map(JsValue::from_str)
    .collect()
}
