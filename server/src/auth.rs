//! Who may ask: bearer JWTs issued by the operator's own API (`spec/http-api.md` §2).
//!
//! A token is accepted only if all of this holds, and nothing else is accepted:
//!
//! * header `alg` is `EdDSA` (Ed25519) or `ES256`, and is the algorithm of the key named by
//!   `kid` (`none`, HMAC and RSA are refused before any key is looked at);
//! * `kid` is `tenant:version` and names a configured issuer key (from JWKS files or URLs);
//! * the signature verifies under that key;
//! * `iss` is the issuer configured for the tenant, `aud` this key server's audience;
//! * `exp` is in the future, `iat` not (60 s leeway), and `exp - iat` is at most the
//!   configured maximum lifetime;
//! * `sub` (the user) is 1..=255 bytes and `jti` 1..=128 bytes.
//!
//! A token authorises one request: its `tenant:jti` is stored with the request's changes
//! and a second use is refused (`token_replayed`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{HeaderMap, header};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 4096;
/// The longest `jti` accepted, in bytes.
pub const MAX_JTI_LEN: usize = 128;
/// Leeway for `iat` in the future (clock skew between the issuer and this server), seconds.
pub const IAT_LEEWAY_SECS: u64 = 60;

/// An authenticated request's user and token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// `sub`: the user id.
    pub user: String,
    /// `tenant:jti`: what is stored when the token is used.
    pub token_id: String,
    /// `exp`, in ms since the Unix epoch: how long the used token must be remembered.
    pub expires_ms: u64,
}

/// The claims this server reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: String,
    /// The issuer.
    pub iss: String,
    /// The audience (this key server).
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Token id, unique per issuer.
    pub jti: String,
}

struct VerifyKey {
    key: DecodingKey,
    alg: Algorithm,
    tenant: String,
}

/// Where issuer keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS file.
    File(std::path::PathBuf),
    /// A JWKS URL, fetched at start and refreshed periodically.
    Url(String),
    /// Keys given directly (the development issuer, tests).
    Inline(String),
}

impl JwksSource {
    /// A path or an `http(s)://` URL.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("https://") || s.starts_with("http://") {
            JwksSource::Url(s.to_owned())
        } else {
            JwksSource::File(s.into())
        }
    }

    fn fetch(&self) -> Result<String, String> {
        match self {
            JwksSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("reading {}: {e}", path.display())),
            #[cfg(not(feature = "jwks-url"))]
            JwksSource::Url(url) => Err(format!(
                "{url}: this build cannot fetch JWKS URLs (feature `jwks-url`); use a file"
            )),
            #[cfg(feature = "jwks-url")]
            JwksSource::Url(url) => {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                agent
                    .get(url)
                    .call()
                    .map_err(|e| format!("fetching {url}: {e}"))?
                    .body_mut()
                    .with_config()
                    .limit(1024 * 1024)
                    .read_to_string()
                    .map_err(|e| format!("reading {url}: {e}"))
            }
            JwksSource::Inline(text) => Ok(text.clone()),
        }
    }
}

/// Verifies tokens.
pub struct Authenticator {
    audience: String,
    /// tenant → issuer (`iss`).
    issuers: HashMap<String, String>,
    max_lifetime: u64,
    keys: RwLock<Arc<HashMap<String, Arc<VerifyKey>>>>,
    sources: Vec<JwksSource>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("audience", &self.audience)
            .field("issuers", &self.issuers)
            .field("max_lifetime", &self.max_lifetime)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let from_params = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(from_params),
        Some(KeyAlgorithm::EdDSA) if from_params == Algorithm::EdDSA => Some(from_params),
        Some(KeyAlgorithm::ES256) if from_params == Algorithm::ES256 => Some(from_params),
        Some(_) => None,
    }
}

/// Parses a JWKS document into the keys this server accepts: Ed25519 and P-256 keys whose
/// `kid` is `tenant:version` for a configured tenant. Others are skipped with a warning.
fn parse_jwks(
    text: &str,
    issuers: &HashMap<String, String>,
) -> Result<Vec<(String, VerifyKey)>, String> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else {
            tracing::warn!("JWKS key without kid skipped");
            continue;
        };
        let Some((tenant, _version)) = kid.split_once(':') else {
            tracing::warn!(%kid, "JWKS key skipped: kid is not tenant:version");
            continue;
        };
        if !issuers.contains_key(tenant) {
            tracing::warn!(%kid, "JWKS key skipped: no issuer configured for its tenant");
            continue;
        }
        let Some(alg) = algorithm_of(jwk) else {
            tracing::warn!(%kid, "JWKS key skipped: only Ed25519 (EdDSA) and P-256 (ES256) keys are accepted");
            continue;
        };
        match DecodingKey::from_jwk(jwk) {
            Ok(key) => keys.push((
                kid.clone(),
                VerifyKey {
                    key,
                    alg,
                    tenant: tenant.to_owned(),
                },
            )),
            Err(e) => tracing::warn!(%kid, error = %e, "JWKS key skipped"),
        }
    }
    Ok(keys)
}

impl Authenticator {
    /// An authenticator for `audience`, trusting `issuers` (tenant → `iss`) with keys from
    /// `sources`. Fails if a source cannot be read at all.
    pub fn new(
        audience: String,
        issuers: HashMap<String, String>,
        sources: Vec<JwksSource>,
        max_lifetime: Duration,
    ) -> Result<Self, String> {
        let auth = Self {
            audience,
            issuers,
            max_lifetime: max_lifetime.as_secs(),
            keys: RwLock::new(Arc::new(HashMap::new())),
            sources,
        };
        auth.refresh()?;
        Ok(auth)
    }

    /// Reloads every source. A source that fails keeps its previous keys out: the error is
    /// returned and the key set is left unchanged.
    pub fn refresh(&self) -> Result<usize, String> {
        let mut keys = HashMap::new();
        for source in &self.sources {
            let text = source.fetch()?;
            for (kid, key) in parse_jwks(&text, &self.issuers)? {
                keys.insert(kid, Arc::new(key));
            }
        }
        let count = keys.len();
        if let Ok(mut guard) = self.keys.write() {
            *guard = Arc::new(keys);
        }
        Ok(count)
    }

    /// Whether any source is a URL (worth refreshing periodically).
    pub fn has_remote_sources(&self) -> bool {
        self.sources.iter().any(|s| matches!(s, JwksSource::Url(_)))
    }

    /// The audience tokens must name.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Authenticates a request from its `Authorization` header at time `now` (seconds).
    pub fn authenticate(&self, headers: &HeaderMap, now: u64) -> Result<Principal, ApiError> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let value = values
            .next()
            .ok_or_else(|| ApiError::unauthorized("no Authorization header"))?;
        if values.next().is_some() {
            return Err(ApiError::unauthorized("several Authorization headers"));
        }
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("Authorization header is not ASCII"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(ApiError::unauthorized("not a Bearer token")),
        };
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(ApiError::unauthorized("token empty or too long"));
        }
        self.verify(token, now)
    }

    /// Verifies a token at time `now` (seconds since the Unix epoch).
    pub fn verify(&self, token: &str, now: u64) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::unauthorized("malformed token header"))?;
        if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256) {
            return Err(ApiError::unauthorized("token algorithm not accepted"));
        }
        let kid = header
            .kid
            .ok_or_else(|| ApiError::unauthorized("token without kid"))?;
        let keys = self
            .keys
            .read()
            .map(|k| Arc::clone(&k))
            .map_err(|_| ApiError::internal("issuer key lock poisoned"))?;
        let key = keys
            .get(&kid)
            .ok_or_else(|| ApiError::unauthorized(format!("unknown kid {kid:?}")))?;
        if key.alg != header.alg {
            return Err(ApiError::unauthorized("token algorithm is not its key's"));
        }
        let issuer = self
            .issuers
            .get(&key.tenant)
            .ok_or_else(|| ApiError::unauthorized("no issuer for the key's tenant"))?;
        let mut validation = Validation::new(key.alg);
        validation.algorithms = vec![key.alg];
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|e| ApiError::unauthorized(format!("token refused: {e}")))?;
        let claims = data.claims;
        if claims.exp <= now {
            return Err(ApiError::unauthorized("token expired"));
        }
        if claims.iat > now.saturating_add(IAT_LEEWAY_SECS) {
            return Err(ApiError::unauthorized("token issued in the future"));
        }
        if claims.exp.saturating_sub(claims.iat) > self.max_lifetime {
            return Err(ApiError::unauthorized("token lives longer than allowed"));
        }
        if claims.sub.is_empty() || claims.sub.len() > quorumkey::keyserver::MAX_USER_ID_LEN {
            return Err(ApiError::unauthorized("sub must be 1..=255 bytes"));
        }
        if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LEN {
            return Err(ApiError::unauthorized("jti must be 1..=128 bytes"));
        }
        Ok(Principal {
            user: claims.sub,
            token_id: format!("{}:{}", key.tenant, claims.jti),
            expires_ms: claims.exp.saturating_mul(1000),
        })
    }
}

/// An Ed25519 issuer key pair for development and tests: signs tokens, and publishes its
/// public half as a JWKS.
pub struct DevIssuer {
    /// The key id (`tenant:version`).
    pub kid: String,
    /// The issuer (`iss`).
    pub issuer: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// PKCS #8 v1 framing of an Ed25519 private key (RFC 8410 §7): this prefix, then the
/// 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The development issuer's file in the data directory.
#[derive(Serialize, Deserialize)]
struct DevIssuerFile {
    warning: String,
    kid: String,
    issuer: String,
    /// The Ed25519 seed, hex.
    seed: String,
}

impl Drop for DevIssuerFile {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.seed);
    }
}

impl DevIssuer {
    /// The tenant of the development issuer's key id.
    pub const TENANT: &'static str = "dev";
    /// The development issuer's `iss`.
    pub const ISSUER: &'static str = "quorumkey-dev";

    /// An issuer from a 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32], kid: &str, issuer: &str) -> Result<Self, String> {
        let mut der = zeroize::Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&ED25519_PKCS8_PREFIX);
        der.extend_from_slice(seed);
        let encoding = EncodingKey::from_ed_der(&der);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA)
            .map_err(|e| format!("issuer key: {e}"))?;
        jwk.common.key_id = Some(kid.to_owned());
        Ok(Self {
            kid: kid.to_owned(),
            issuer: issuer.to_owned(),
            encoding,
            jwk,
        })
    }

    /// A random issuer.
    pub fn generate(kid: &str, issuer: &str) -> Result<Self, String> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rand::Rng::fill_bytes(&mut rand::rng(), &mut *seed);
        Self::from_seed(&seed, kid, issuer)
    }

    /// Loads the development issuer from `path`, creating it (`0600`) if missing.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => zeroize::Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = zeroize::Zeroizing::new([0u8; 32]);
                rand::Rng::fill_bytes(&mut rand::rng(), &mut *seed);
                let file = DevIssuerFile {
                    warning: "DEVELOPMENT ONLY: whoever reads this file can sign tokens for \
                              any user of a quorumkey-server that trusts it"
                        .into(),
                    kid: format!("{}:1", Self::TENANT),
                    issuer: Self::ISSUER.into(),
                    seed: hex::encode(*seed),
                };
                let text = zeroize::Zeroizing::new(
                    serde_json::to_string_pretty(&file).map_err(|e| e.to_string())? + "\n",
                );
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::fsutil::create_private_dir(dir).map_err(|e| e.to_string())?;
                }
                crate::fsutil::create_private_file(path, text.as_bytes())
                    .map_err(|e| format!("creating {}: {e}", path.display()))?;
                text
            }
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        };
        let file: DevIssuerFile =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(&file.seed, &mut *seed)
            .map_err(|_| format!("{}: the seed is not 64 hex digits", path.display()))?;
        Self::from_seed(&seed, &file.kid, &file.issuer)
    }

    /// The public key as a JWKS document.
    pub fn jwks(&self) -> String {
        serde_json::to_string(&JwkSet {
            keys: vec![self.jwk.clone()],
        })
        .unwrap_or_default()
    }

    /// The tenant of this issuer's key id.
    pub fn tenant(&self) -> &str {
        self.kid.split_once(':').map_or(&self.kid, |(t, _)| t)
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, String> {
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// A token for `user` at `audience`, valid `ttl` from `now` (seconds), with a random
    /// `jti`.
    pub fn token(&self, user: &str, audience: &str, now: u64, ttl: u64) -> Result<String, String> {
        let mut jti = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut jti);
        self.sign(&Claims {
            sub: user.to_owned(),
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            exp: now.saturating_add(ttl),
            iat: now,
            jti: hex::encode(jti),
        })
    }
}
