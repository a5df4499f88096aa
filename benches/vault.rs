//! Whole-flow benchmarks, each beside its **cost-model floor** (see `spec/performance.md`)
//! computed in the same run from raw `p256` / BLAKE3 / XChaCha20-Poly1305 calls.
//!
//! Run with `cargo bench --bench vault` (default `std`: p256's basepoint table) and
//! `cargo bench --bench vault --no-default-features --features alloc` (no table; the
//! default before `std` became it, so older "default features" figures are this build).
//! The paired table printed first is the one to read: every round times the flow and its
//! floor back to back and the ratio is the median of the per-round ratios (the machine is
//! shared and noisy). Criterion medians for every flow and floor
//! follow. Results are recorded in `spec/performance.md` §"Results".
//!
//! The key servers answer through [`KeyServer::handle`] on a stored user record and release
//! against the update, as a real server does, but the update is not stored back: password
//! guesses are not counted across calls, so a bench never burns its guard.
//!
//! Password unlocks run at the default Argon2id parameters ([`PasswordParams::DEFAULT`]) and
//! at the floor (19 MiB, 2 passes, 1 lane), each beside its floor (the unlock's plus one raw
//! `argon2` call); `argon2id …` times the stretching alone, ours against the raw crate.
//!
//! A floor performs exactly the operations the cost model says the flow cannot avoid, with
//! the cheapest raw call p256 0.14 offers for each (constant-time `P·k` for secret scalars,
//! `mul_by_generator` for secret `k·G` — table-backed with `precomputed-tables` —,
//! `lincomb_vartime` / `mul_vartime` for public data, one batched normalization per group
//! of points that must be encoded together, one scalar inversion per batch of blinds).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use quorumkey::gate::{GateMode, GateResponse, PasswordParams, Purpose, ServerPin, ServerRequest};
use quorumkey::keyserver::{KeyServer, Operation, PasswordSetup, UserRecord};
use quorumkey::oprf::{EvaluationRequest, Mode, ServerKey, VoprfClient};
use quorumkey::policy::Policy;
use quorumkey::vault::{
    Capsule, Enrolled, Enrollment, KeyServerSetup, Password, SealedUnit, Trust, UnitRead, Unlock,
    VaultHeader, VaultShare,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const USER: &[u8] = b"user-42";
const PASSWORD: &[u8] = b"correct horse battery staple";
const ROUNDS: usize = 25;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

// ---------------------------------------------------------------------------------------
// Floors from raw primitives
// ---------------------------------------------------------------------------------------

mod floor {
    use std::hint::black_box;

    use chacha20poly1305::aead::AeadInOut;
    use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
    use p256::elliptic_curve::consts::U48;
    use p256::elliptic_curve::group::GroupEncoding;
    use p256::elliptic_curve::ops::{LinearCombination, MulByGeneratorVartime};
    use p256::elliptic_curve::point::BatchNormalize;
    use p256::elliptic_curve::{Field, Group};
    use p256::hash2curve::{ExpandMsgXmd, GroupDigest, hash_to_scalar};
    use p256::{AffinePoint, NistP256, ProjectivePoint as P, Scalar as S};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;
    use sha2::{Digest, Sha256};

    const H2G_DST: &[u8] = b"HashToGroup-OPRFV1-\x01-P256-SHA256";
    const H2S_DST: &[u8] = b"HashToScalar-OPRFV1-\x01-P256-SHA256";

    /// Random points and scalars to feed the primitives (none is the identity or zero).
    pub struct Raw {
        pts: Vec<P>,
        sc: Vec<S>,
        enc: Vec<[u8; 33]>,
        pk: P,
        sk: S,
    }

    pub fn h2c(msg: &[u8]) -> P {
        NistP256::hash_from_bytes(&[msg], &[H2G_DST]).unwrap()
    }

    pub fn h2s(msgs: &[&[u8]]) -> S {
        hash_to_scalar::<NistP256, ExpandMsgXmd<Sha256>, U48>(msgs, &[H2S_DST]).unwrap()
    }

    pub fn sha(parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    pub fn blake3(context: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_derive_key(context);
        for p in parts {
            h.update(p);
        }
        *h.finalize().as_bytes()
    }

    /// XChaCha20-Poly1305 over `len` bytes with `ad_len` bytes of associated data.
    pub fn aead(key: &[u8; 32], len: usize, ad_len: usize) {
        let mut buf = vec![0x5a; len];
        let ad = vec![0xa5; ad_len];
        let cipher = XChaCha20Poly1305::new(key.into());
        let tag = cipher
            .encrypt_inout_detached((&[7u8; 24]).into(), &ad, buf.as_mut_slice().into())
            .unwrap();
        black_box((&buf, tag));
    }

    pub fn decode(bytes: &[u8; 33]) -> P {
        Option::from(P::from_bytes(&(*bytes).into())).unwrap()
    }

    /// One batched normalization (one inversion) and the compressed encodings.
    pub fn normalize(points: &[P]) -> Vec<[u8; 33]> {
        let affine: Vec<AffinePoint> = P::batch_normalize(points);
        affine
            .iter()
            .map(|a| {
                let mut out = [0u8; 33];
                out.copy_from_slice(&a.to_bytes());
                out
            })
            .collect()
    }

    /// Montgomery's trick: one inversion and 3(m-1) multiplications for m scalars.
    pub fn batch_invert(scalars: &[S]) -> Vec<S> {
        let mut prefix = Vec::with_capacity(scalars.len());
        let mut acc = S::ONE;
        for s in scalars {
            prefix.push(acc);
            acc *= s;
        }
        let mut inv = acc.invert().unwrap();
        let mut out = vec![S::ZERO; scalars.len()];
        for i in (0..scalars.len()).rev() {
            out[i] = inv * prefix[i];
            inv *= scalars[i];
        }
        out
    }

    pub fn msm(points: &[P], weights: &[S]) -> P {
        if let ([p], [w]) = (points, weights) {
            return p.mul_vartime(w);
        }
        let pairs: Vec<(P, S)> = points
            .iter()
            .copied()
            .zip(weights.iter().copied())
            .collect();
        P::lincomb_vartime(pairs.as_slice())
    }

    impl Raw {
        pub fn new() -> Self {
            let mut rng = ChaCha20Rng::seed_from_u64(99);
            let sc: Vec<S> = (0..128).map(|_| S::random(&mut rng)).collect();
            let pts: Vec<P> = sc.iter().map(|s| P::GENERATOR * s).collect();
            let enc = normalize(&pts);
            let sk = S::random(&mut rng);
            Self {
                pts,
                sc,
                enc,
                pk: P::GENERATOR * sk,
                sk,
            }
        }

        fn s(&self, i: usize) -> S {
            self.sc[i % self.sc.len()]
        }

        fn p(&self, i: usize) -> P {
            self.pts[i % self.pts.len()]
        }

        /// Blind `m` inputs: m hash-to-curve, m CT `r·P`, one batched encoding.
        pub fn blind(&self, m: usize) -> Vec<[u8; 33]> {
            let pts: Vec<P> = (0..m).map(|i| h2c(&[i as u8; 32]) * self.s(i)).collect();
            normalize(&pts)
        }

        /// Server VOPRF evaluation of `m` elements with `DeriveKeyPair` (RFC 9497 §2.2
        /// `ComputeCompositesFast`) and the audit digest over the request bytes.
        pub fn server(&self, m: usize, request_len: usize) -> S {
            let sk = h2s(&[&[1u8; 32], &user_info(), &[0]]);
            let pk = P::mul_by_generator(&sk);
            let cs: Vec<P> = (0..m)
                .map(|i| decode(&self.enc[i % self.enc.len()]))
                .collect();
            let s = self.evaluate(sk, Some(pk), &cs);
            black_box(blake3("audit", &[&vec![0u8; request_len]]));
            s
        }

        /// The evaluation and proof alone (key pair given; `pk` encoded with the outputs
        /// when it was just derived, else its cached encoding is used).
        pub fn evaluate(&self, sk: S, pk: Option<P>, cs: &[P]) -> S {
            let m = cs.len();
            let mut out = Vec::with_capacity(m + 1);
            out.push(pk.unwrap_or(self.pk));
            out.extend(cs.iter().map(|c| *c * sk));
            let enc = if pk.is_some() {
                normalize(&out)
            } else {
                let mut e = vec![self.enc[0]];
                e.extend(normalize(&out[1..]));
                e
            };
            let seed = sha(&[&enc[0], b"Seed-OPRFV1-\x01-P256-SHA256"]);
            let w: Vec<S> = (0..m)
                .map(|i| h2s(&[&seed, &[i as u8], &self.enc[i % 128], &enc[i + 1]]))
                .collect();
            let (mm, z) = if m == 1 {
                (cs[0].mul_vartime(&w[0]), out[1].mul_vartime(&w[0]))
            } else {
                let mm = msm(cs, &w);
                (mm, mm * sk)
            };
            let r = self.s(m + 3);
            let t2 = P::mul_by_generator(&r);
            let t3 = mm * r;
            let e = normalize(&[mm, z, t2, t3]);
            let c = h2s(&[&enc[0], &e[0], &e[1], &e[2], &e[3], b"Challenge"]);
            r - c * sk
        }

        /// Client: decode `m` evaluated elements, verify the batched proof, unblind.
        pub fn finalize(&self, m: usize) {
            let ds: Vec<P> = (0..m).map(|i| decode(&self.enc[(i + 7) % 128])).collect();
            let bs: Vec<P> = (0..m).map(|i| self.p(i)).collect();
            let seed = sha(&[&self.enc[5], b"Seed-OPRFV1-\x01-P256-SHA256"]);
            let w: Vec<S> = (0..m)
                .map(|i| {
                    h2s(&[
                        &seed,
                        &[i as u8],
                        &self.enc[i % 128],
                        &self.enc[(i + 7) % 128],
                    ])
                })
                .collect();
            let mm = msm(&bs, &w);
            let z = msm(&ds, &w);
            let (s, c) = (self.s(1), self.s(2));
            let t2 = P::mul_by_generator_and_mul_add_vartime(&s, &c, &self.pk);
            let t3 = P::lincomb_vartime(&[(mm, s), (z, c)]);
            let e = normalize(&[mm, z, t2, t3]);
            black_box(h2s(&[
                &self.enc[5],
                &e[0],
                &e[1],
                &e[2],
                &e[3],
                b"Challenge",
            ]));
            let blinds: Vec<S> = (0..m).map(|i| self.s(i + 11)).collect();
            let inv = batch_invert(&blinds);
            let n: Vec<P> = ds.iter().zip(&inv).map(|(d, i)| *d * i).collect();
            for e in normalize(&n) {
                black_box(sha(&[&[0, 32], &[9u8; 32], &[0, 33], &e, b"Finalize"]));
            }
        }

        /// Dealing: `t` coefficients, `n` share evaluations (Horner), `t` CT `a_j·G`, one
        /// batched encoding and the header digest.
        pub fn deal(&self, t: usize, n: usize) {
            let coeffs: Vec<S> = (0..t).map(|j| self.s(j + 20)).collect();
            for id in 1..=n as u64 {
                let x = S::from(id);
                let mut acc = S::ZERO;
                for a in coeffs.iter().rev() {
                    acc = acc * x + a;
                }
                black_box(acc);
            }
            let cs: Vec<P> = coeffs.iter().map(P::mul_by_generator).collect();
            let enc = normalize(&cs);
            let mut header = vec![0u8; 64 + 16 * n];
            for e in &enc {
                header.extend_from_slice(e);
            }
            black_box(blake3("header", &[&header]));
        }

        /// §5 batch verification of `k` shares against `t` commitments: one CT `y·G` and
        /// one `t`-term variable-time MSM.
        pub fn batch_verify(&self, k: usize, t: usize) -> bool {
            let mut coeff = vec![S::ZERO; t];
            let mut y = S::ZERO;
            for i in 0..k {
                let rho = self.s(i + 40);
                y += rho * self.s(i + 60);
                let x = S::from(i as u64 + 1);
                let mut power = rho;
                for a in coeff.iter_mut() {
                    *a += power;
                    power *= x;
                }
            }
            let lhs = P::mul_by_generator(&y);
            let cs: Vec<P> = (0..t).map(|j| self.p(j + 80)).collect();
            let rhs = msm(&cs, &coeff);
            bool::from(subtle::ConstantTimeEq::ct_eq(&lhs, &rhs))
        }

        /// Lagrange at 0 over `t` shares (one inversion), `s·G == C_0`, root key.
        pub fn combine(&self, t: usize) -> bool {
            let xs: Vec<S> = (1..=t as u64).map(S::from).collect();
            let mut dens = Vec::with_capacity(t);
            let mut nums = Vec::with_capacity(t);
            for (i, xi) in xs.iter().enumerate() {
                let (mut num, mut den) = (S::ONE, S::ONE);
                for (j, xj) in xs.iter().enumerate() {
                    if i != j {
                        num *= -*xj;
                        den *= *xi - xj;
                    }
                }
                nums.push(num);
                dens.push(den);
            }
            let inv = batch_invert(&dens);
            let mut s = S::ZERO;
            for i in 0..t {
                s += nums[i] * inv[i] * self.s(i + 60);
            }
            let ok = P::mul_by_generator(&s) == self.pk;
            black_box(blake3("root", &[&s.to_bytes(), &[0u8; 16]]));
            ok
        }

        /// Capsule or unit AEAD: key derivation + XChaCha20-Poly1305 over `len` bytes.
        pub fn sealed(&self, len: usize, ad_len: usize) {
            let key = blake3("key", &[&[1u8; 32], &[2u8; 32], &[3]]);
            aead(&key, len, ad_len);
        }

        // ---- whole flows ----

        pub fn enroll(&self, t: usize, n: usize, servers: usize, with_server: bool) {
            self.deal(t, n);
            for _ in 0..servers {
                self.blind(1);
                if with_server {
                    self.server(1, 50);
                }
                self.finalize(1);
                self.sealed(32, CAPSULE_AD); // seal
                self.sealed(32, CAPSULE_AD); // two-phase re-open
            }
            self.batch_verify(n, t);
            black_box(blake3("root", &[&[0u8; 48]]));
        }

        pub fn unlock(&self, t: usize, servers: usize, with_server: bool) {
            for _ in 0..servers {
                self.blind(1);
                if with_server {
                    self.server(1, 50);
                }
                self.finalize(1);
                self.sealed(32, CAPSULE_AD);
            }
            self.batch_verify(t, t);
            self.combine(t);
        }

        pub fn gated_read(&self, m: usize, unit_len: usize, with_server: bool) {
            self.blind(m);
            if with_server {
                self.server(m, 33 * m + 12);
            }
            self.finalize(m);
            for _ in 0..m {
                self.sealed(unit_len, UNIT_AD);
            }
        }

        /// POPRF client tweak, once per batch: `HashToScalar(info)·G + pkS`, public.
        pub fn tweak(&self) -> [u8; 33] {
            let m = h2s(&[b"Info", &[0, 5], b"label"]);
            normalize(&[P::mul_by_generator_vartime(&m) + self.pk])[0]
        }

        /// Server evaluation with the key pair already derived and the elements decoded.
        pub fn server_cached(&self, m: usize) -> S {
            let cs: Vec<P> = (0..m).map(|i| self.p(i)).collect();
            self.evaluate(self.sk, None, &cs)
        }
    }

    /// A v2 `DeriveKeyPair` info: prefix, purpose, user, version and the version's material.
    fn user_info() -> Vec<u8> {
        let mut info = b"quorumkey v2 key\x01\x07user-42\0\0\0\x01".to_vec();
        info.extend_from_slice(&[0x6d; 32]);
        info
    }

    /// Argon2id with the raw crate: the stretching a password gate cannot avoid.
    pub fn argon2(memory_kib: u32, iterations: u32, lanes: u32) -> [u8; 32] {
        let params = argon2::Params::new(memory_kib, iterations, lanes, Some(32)).unwrap();
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = [0u8; 32];
        argon
            .hash_password_into(b"correct horse battery staple", &[0x42; 32], &mut out)
            .unwrap();
        out
    }
    /// Associated data of a capsule (its header bytes) and of a unit, approximately.
    pub const CAPSULE_AD: usize = 120;
    pub const UNIT_AD: usize = 64;
}

// ---------------------------------------------------------------------------------------
// The world: key servers, policies, enrolled vaults
// ---------------------------------------------------------------------------------------

/// One key server and the bench user's record there (key version 1, password guard on).
struct Server {
    key_id: &'static str,
    server: KeyServer,
    record: UserRecord,
}

struct World {
    servers: Vec<Server>,
}

/// The record update of `operation`, stored and released.
fn change(server: &KeyServer, record: Option<&UserRecord>, operation: Operation<'_>) -> UserRecord {
    let outcome = server.handle(USER, record, operation, &mut rng(9)).unwrap();
    let update = outcome.record_update().unwrap().clone();
    outcome.release(Some(&update)).unwrap();
    update
}

impl World {
    fn new() -> Self {
        let guard = Enrollment::new(policies().remove(0).policy, &mut rng(10)).unwrap();
        let servers = [("a.example", 7u8), ("b.example", 8)]
            .into_iter()
            .map(|(key_id, seed)| {
                let server = KeyServer::new([seed; 32]);
                let record = change(&server, None, Operation::AddKeyVersion);
                let setup: PasswordSetup = guard.password_setup(key_id, 10).unwrap();
                let record = change(
                    &server,
                    Some(&record),
                    Operation::SetPassword(&setup.to_bytes()),
                );
                Server {
                    key_id,
                    server,
                    record,
                }
            })
            .collect();
        Self { servers }
    }

    fn pin_for(&self, key_id: &str, purpose: Purpose, mode: Mode) -> ServerPin {
        let s = self.server(key_id);
        ServerPin {
            key_version: 1,
            public_key: s
                .server
                .public_key(USER, &s.record, 1, purpose, mode)
                .unwrap(),
        }
    }

    fn server(&self, key_id: &str) -> &Server {
        self.servers.iter().find(|s| s.key_id == key_id).unwrap()
    }

    /// The server's side of one request, bytes in, bytes out: handle on the stored record,
    /// release against the update (not stored back).
    fn respond(&self, key_id: &str, request: &[u8], r: &mut ChaCha20Rng) -> Vec<u8> {
        let s = self.server(key_id);
        let outcome = s
            .server
            .handle(USER, Some(&s.record), Operation::Evaluate(request), r)
            .unwrap();
        let update = outcome.record_update().cloned();
        outcome.release(update.as_ref()).unwrap().body
    }

    /// Wire round trip: request bytes in, response bytes out, decoded by the client.
    fn answer(&self, q: &ServerRequest, r: &mut ChaCha20Rng) -> GateResponse {
        GateResponse::from_bytes(&self.answer_bytes(q, r)).unwrap()
    }

    fn answer_bytes(&self, q: &ServerRequest, r: &mut ChaCha20Rng) -> Vec<u8> {
        self.respond(&q.key_id, &q.request.to_bytes(), r)
    }

    fn setups(&self, policy: &Policy, purpose: Purpose) -> Vec<KeyServerSetup> {
        policy
            .key_servers()
            .map(|h| KeyServerSetup {
                holder: h.id(),
                pin: self.pin_for(h.kind().key_id().unwrap(), purpose, Mode::Voprf),
                mode: GateMode::Voprf,
            })
            .collect()
    }
}

struct PolicyCase {
    name: &'static str,
    policy: Policy,
    t: usize,
    n: usize,
    servers: usize,
}

fn policies() -> Vec<PolicyCase> {
    vec![
        PolicyCase {
            name: "2of2",
            policy: Policy::builder(2)
                .device(1, "phone")
                .key_server(2, "keys", "a.example")
                .build()
                .unwrap(),
            t: 2,
            n: 2,
            servers: 1,
        },
        PolicyCase {
            name: "2of3",
            policy: Policy::builder(2)
                .device(1, "phone")
                .key_server(2, "keys", "a.example")
                .custodian(3, "card")
                .build()
                .unwrap(),
            t: 2,
            n: 3,
            servers: 1,
        },
        PolicyCase {
            name: "3of4",
            policy: Policy::builder(3)
                .device(1, "phone")
                .key_server(2, "keys a", "a.example")
                .key_server(3, "keys b", "b.example")
                .custodian(4, "card")
                .build()
                .unwrap(),
            t: 3,
            n: 4,
            servers: 2,
        },
    ]
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let t = Instant::now();
    black_box(f());
    t.elapsed()
}

/// A flow and its floor, each timed per call (setup untimed).
struct Case {
    name: String,
    flow: Box<dyn FnMut() -> Duration>,
    floor: Box<dyn FnMut() -> Duration>,
    /// Elements evaluated per call (server cases), for throughput.
    evals: usize,
}

fn enroll_full(world: &World, policy: &Policy, seed: u64) -> Enrolled {
    enroll_with(world, policy, None, seed)
}

fn enroll_with(
    world: &World,
    policy: &Policy,
    password: Option<Password<'_>>,
    seed: u64,
) -> Enrolled {
    let mut r = rng(seed);
    let purpose = match password {
        Some(_) => Purpose::PasswordCapsule,
        None => Purpose::Capsule,
    };
    let setups = world.setups(policy, purpose);
    let (e, qs) = Enrollment::start(policy.clone(), &setups, password, &mut r).unwrap();
    let resps: Vec<GateResponse> = qs.iter().map(|q| world.answer(q, &mut r)).collect();
    e.finish(&resps, &mut r).unwrap()
}

fn cases() -> Vec<Case> {
    let world: &'static World = Box::leak(Box::new(World::new()));
    let raw: &'static floor::Raw = Box::leak(Box::new(floor::Raw::new()));
    let mut out = Vec::new();

    for pc in policies() {
        let PolicyCase {
            name,
            policy,
            t,
            n,
            servers,
        } = pc;
        let policy: &'static Policy = Box::leak(Box::new(policy));
        let setups: &'static [KeyServerSetup] = world.setups(policy, Purpose::Capsule).leak();

        // Enroll, client + in-process server over the wire encoding.
        let mut seed = 0u64;
        out.push(Case {
            name: format!("enroll {name} (client+server)"),
            flow: Box::new(move || {
                seed += 1;
                let mut r = rng(seed);
                time(|| {
                    let (e, qs) = Enrollment::start(policy.clone(), setups, None, &mut r).unwrap();
                    let resps: Vec<GateResponse> =
                        qs.iter().map(|q| world.answer(q, &mut r)).collect();
                    e.finish(&resps, &mut r).unwrap()
                })
            }),
            floor: Box::new(move || time(|| raw.enroll(t, n, servers, true))),
            evals: 0,
        });

        // Enroll, client only: the same rng state each call gives the same requests, so
        // the server's responses (bytes) are computed once.
        let r0 = rng(1000);
        let resp_bytes: Vec<Vec<u8>> = {
            let mut r = r0.clone();
            let (_e, qs) = Enrollment::start(policy.clone(), setups, None, &mut r).unwrap();
            let mut rs = rng(1001);
            qs.iter().map(|q| world.answer_bytes(q, &mut rs)).collect()
        };
        out.push(Case {
            name: format!("enroll {name} (client only)"),
            flow: Box::new(move || {
                let mut r = r0.clone();
                time(|| {
                    let (e, _qs) = Enrollment::start(policy.clone(), setups, None, &mut r).unwrap();
                    let resps: Vec<GateResponse> = resp_bytes
                        .iter()
                        .map(|b| GateResponse::from_bytes(b).unwrap())
                        .collect();
                    e.finish(&resps, &mut r).unwrap()
                })
            }),
            floor: Box::new(move || time(|| raw.enroll(t, n, servers, false))),
            evals: 0,
        });

        // Unlock with the device share and the key server capsule(s); custodians absent.
        let enrolled = enroll_full(world, policy, 77);
        let header: &'static VaultHeader = Box::leak(Box::new(enrolled.header.clone()));
        let shares: &'static [VaultShare] = enrolled.device_shares.clone().leak();
        let capsules: &'static [Capsule] = enrolled.capsules.clone().leak();
        let mut seed = 0u64;
        out.push(Case {
            name: format!("unlock {name} (client+server)"),
            flow: Box::new(move || {
                seed += 1;
                let mut r = rng(seed);
                time(|| {
                    let (u, qs) =
                        Unlock::start(header, shares, capsules, &Trust::new(), None, &mut r)
                            .unwrap();
                    let resps: Vec<Option<GateResponse>> =
                        qs.iter().map(|q| Some(world.answer(q, &mut r))).collect();
                    u.finish(&resps, &mut r).unwrap()
                })
            }),
            floor: Box::new(move || time(|| raw.unlock(t, servers, true))),
            evals: 0,
        });
        let r0 = rng(2000);
        let resp_bytes: Vec<Vec<u8>> = {
            let mut r = r0.clone();
            let (_u, qs) =
                Unlock::start(header, shares, capsules, &Trust::new(), None, &mut r).unwrap();
            let mut rs = rng(2001);
            qs.iter().map(|q| world.answer_bytes(q, &mut rs)).collect()
        };
        out.push(Case {
            name: format!("unlock {name} (client only)"),
            flow: Box::new(move || {
                let mut r = r0.clone();
                time(|| {
                    let (u, _qs) =
                        Unlock::start(header, shares, capsules, &Trust::new(), None, &mut r)
                            .unwrap();
                    let resps: Vec<Option<GateResponse>> = resp_bytes
                        .iter()
                        .map(|b| Some(GateResponse::from_bytes(b).unwrap()))
                        .collect();
                    u.finish(&resps, &mut r).unwrap()
                })
            }),
            floor: Box::new(move || time(|| raw.unlock(t, servers, false))),
            evals: 0,
        });
    }

    // Units: seal and open 1 KiB without a gate.
    let enrolled = enroll_full(world, &policies()[1].policy, 5);
    let vault: &'static _ = Box::leak(Box::new(enrolled.vault));
    let kib = vec![0x42u8; 1024];
    let mut r = rng(6);
    let unit = vault.seal_unit(b"unit-0001", &kib, &mut r).unwrap();
    let ad = unit.to_bytes().len() - 1024 - 16;
    out.push(Case {
        name: "seal unit 1 KiB".into(),
        flow: Box::new(move || time(|| vault.seal_unit(b"unit-0001", &kib, &mut r).unwrap())),
        floor: Box::new(move || time(|| raw.sealed(1024, ad))),
        evals: 0,
    });
    out.push(Case {
        name: "open unit 1 KiB".into(),
        flow: Box::new(move || time(|| vault.open_unit(&unit).unwrap())),
        floor: Box::new(move || time(|| raw.sealed(1024, ad))),
        evals: 0,
    });

    // 100 units with per-unit gates, opened in one batched read.
    let mut r = rng(7);
    let units: Vec<SealedUnit> = (0..100u8)
        .map(|i| {
            let (seal, q) = vault
                .seal_gated_unit(
                    &[b'g', i],
                    &[i; 64],
                    "a.example",
                    world.pin_for("a.example", Purpose::UnitGate, Mode::Voprf),
                    GateMode::Voprf,
                    &mut r,
                )
                .unwrap();
            let resp = world.answer(&q, &mut r);
            seal.finish(vault, &resp, &mut r).unwrap()
        })
        .collect();
    let units: &'static [SealedUnit] = units.leak();
    let mut seed = 0u64;
    out.push(Case {
        name: "open 100 gated units (client+server)".into(),
        flow: Box::new(move || {
            seed += 1;
            let mut r = rng(seed);
            time(|| {
                let (read, qs) = UnitRead::start(units, &mut r).unwrap();
                let resps: Vec<Option<GateResponse>> =
                    qs.iter().map(|q| Some(world.answer(q, &mut r))).collect();
                read.finish(vault, &resps).unwrap()
            })
        }),
        floor: Box::new(move || time(|| raw.gated_read(100, 64, true))),
        evals: 0,
    });
    let r0 = rng(3000);
    let resp_bytes: Vec<Vec<u8>> = {
        let mut r = r0.clone();
        let (_read, qs) = UnitRead::start(units, &mut r).unwrap();
        let mut rs = rng(3001);
        qs.iter().map(|q| world.answer_bytes(q, &mut rs)).collect()
    };
    out.push(Case {
        name: "open 100 gated units (client only)".into(),
        flow: Box::new(move || {
            let mut r = r0.clone();
            time(|| {
                let (read, _qs) = UnitRead::start(units, &mut r).unwrap();
                let resps: Vec<Option<GateResponse>> = resp_bytes
                    .iter()
                    .map(|b| Some(GateResponse::from_bytes(b).unwrap()))
                    .collect();
                read.finish(vault, &resps).unwrap()
            })
        }),
        floor: Box::new(move || time(|| raw.gated_read(100, 64, false))),
        evals: 0,
    });

    // 100 units behind POPRF gates with one label: the client computes the tweaked key
    // once per batch in the floor.
    let mut r = rng(8);
    let label = GateMode::poprf(b"label").unwrap();
    let punits: Vec<SealedUnit> = (0..100u8)
        .map(|i| {
            let (seal, q) = vault
                .seal_gated_unit(
                    &[b'p', i],
                    &[i; 64],
                    "a.example",
                    world.pin_for("a.example", Purpose::UnitGate, Mode::Poprf),
                    label.clone(),
                    &mut r,
                )
                .unwrap();
            let resp = world.answer(&q, &mut r);
            seal.finish(vault, &resp, &mut r).unwrap()
        })
        .collect();
    let punits: &'static [SealedUnit] = punits.leak();
    let r0 = rng(4000);
    let resp_bytes: Vec<Vec<u8>> = {
        let mut r = r0.clone();
        let (_read, qs) = UnitRead::start(punits, &mut r).unwrap();
        let mut rs = rng(4001);
        qs.iter().map(|q| world.answer_bytes(q, &mut rs)).collect()
    };
    out.push(Case {
        name: "open 100 POPRF-gated units (client only)".into(),
        flow: Box::new(move || {
            let mut r = r0.clone();
            time(|| {
                let (read, _qs) = UnitRead::start(punits, &mut r).unwrap();
                let resps: Vec<Option<GateResponse>> = resp_bytes
                    .iter()
                    .map(|b| Some(GateResponse::from_bytes(b).unwrap()))
                    .collect();
                read.finish(vault, &resps).unwrap()
            })
        }),
        floor: Box::new(move || {
            time(|| {
                raw.tweak();
                raw.gated_read(100, 64, false)
            })
        }),
        evals: 0,
    });

    // Key server: a whole request (decode, DeriveKeyPair, evaluate + one proof, audit
    // digest, encode), and the evaluation alone with the key already derived.
    for m in [1usize, 8, 64] {
        let mut r = rng(40 + m as u64);
        let blinded: Vec<_> = (0..m)
            .map(|i| VoprfClient::blind(&[i as u8; 32], &mut r).unwrap().1)
            .collect();
        let (_, q) = vault
            .seal_gated_unit(
                b"x",
                b"x",
                "a.example",
                world.pin_for("a.example", Purpose::UnitGate, Mode::Voprf),
                GateMode::Voprf,
                &mut r,
            )
            .unwrap();
        // A gate request with m elements: reuse the codec by splicing the evaluation
        // request of m blinded elements after the single-element request's header.
        let single = q.request.to_bytes();
        let one = q.request.evaluation_request().to_bytes();
        let head = &single[..single.len() - one.len()];
        let req = EvaluationRequest::new(blinded).unwrap();
        let bytes: Vec<u8> = [head, &req.to_bytes()].concat();
        let len = bytes.len();
        let server = world.server("a.example");
        let mut rs = rng(50 + m as u64);
        out.push(Case {
            name: format!("server request ×{m}"),
            flow: Box::new(move || time(|| world.respond("a.example", &bytes, &mut rs))),
            floor: Box::new(move || time(|| raw.server(m, len))),
            evals: m,
        });
        let key: ServerKey = server
            .server
            .user_key(USER, &server.record, 1, Purpose::UnitGate, Mode::Voprf)
            .unwrap();
        let mut rs = rng(60 + m as u64);
        out.push(Case {
            name: format!("server evaluate ×{m}, key cached"),
            flow: Box::new(move || time(|| key.respond_voprf(&req, &mut rs))),
            floor: Box::new(move || time(|| raw.server_cached(m))),
            evals: m,
        });
    }

    // Unlock 2-of-3 (device share + one password capsule) at the default Argon2id
    // parameters and at the floor, and Argon2id alone at both: the figures behind the
    // default in spec/protocol.md §6.
    let floor_params = PasswordParams::new(
        PasswordParams::MIN_MEMORY_KIB,
        PasswordParams::MIN_ITERATIONS,
        1,
    )
    .unwrap();
    for (label, params) in [
        ("default", PasswordParams::DEFAULT),
        ("floor", floor_params),
    ] {
        let policy = &policies()[1].policy;
        let password = Password::new(PASSWORD).with_params(params);
        let enrolled = enroll_with(world, policy, Some(password), 90);
        let header: &'static VaultHeader = Box::leak(Box::new(enrolled.header.clone()));
        let shares: &'static [VaultShare] = enrolled.device_shares.clone().leak();
        let capsules: &'static [Capsule] = enrolled.capsules.clone().leak();
        let (m, t, p) = (
            params.memory_kib(),
            params.iterations(),
            u32::from(params.lanes()),
        );
        let mut seed = 0u64;
        out.push(Case {
            name: format!("unlock 2of3 with password, argon2id {label} (client+server)"),
            flow: Box::new(move || {
                seed += 1;
                let mut r = rng(seed);
                time(|| {
                    let (u, qs) = Unlock::start(
                        header,
                        shares,
                        capsules,
                        &Trust::new(),
                        Some(PASSWORD),
                        &mut r,
                    )
                    .unwrap();
                    let resps: Vec<Option<GateResponse>> =
                        qs.iter().map(|q| Some(world.answer(q, &mut r))).collect();
                    u.finish(&resps, &mut r).unwrap()
                })
            }),
            floor: Box::new(move || {
                time(|| {
                    floor::argon2(m, t, p);
                    raw.unlock(2, 1, true)
                })
            }),
            evals: 0,
        });
        out.push(Case {
            name: format!("argon2id {label} (m = {m} KiB, t = {t}, p = {p})"),
            flow: Box::new(move || time(|| params.stretch(PASSWORD, &[0x42; 32]).unwrap())),
            floor: Box::new(move || time(|| floor::argon2(m, t, p))),
            evals: 0,
        });
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Paired rounds: flow and floor back to back; median of each and of the per-round ratio.
fn paired(cases: &mut [Case]) {
    let filter: Option<String> = std::env::var("VAULT_BENCH_FILTER").ok();
    let rounds = std::env::var("VAULT_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ROUNDS);
    let tables = cfg!(feature = "precomputed-tables");
    println!(
        "\npaired, {rounds} rounds, precomputed-tables = {tables} (median µs; ratio = median of per-round flow/floor)\n"
    );
    println!(
        "| flow | quorumkey (µs) | floor (µs) | ratio | quorumkey min (µs) | evaluations/s/core (median; at min) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for case in cases.iter_mut() {
        if filter
            .as_ref()
            .is_some_and(|f| !case.name.contains(f.as_str()))
        {
            continue;
        }
        // Warm up (tables, caches).
        (case.flow)();
        (case.floor)();
        let (mut a, mut b, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            // Fast cases: many calls per sample.
            let reps = if case.name.contains("unit 1 KiB") {
                200
            } else {
                1
            };
            let x: Duration = (0..reps).map(|_| (case.flow)()).sum();
            let y: Duration = (0..reps).map(|_| (case.floor)()).sum();
            let (x, y) = (
                x.as_secs_f64() * 1e6 / reps as f64,
                y.as_secs_f64() * 1e6 / reps as f64,
            );
            a.push(x);
            b.push(y);
            ratio.push(x / y);
        }
        let min = a.iter().copied().fold(f64::INFINITY, f64::min);
        let ma = median(a);
        let throughput = if case.evals > 0 {
            let per_s = |us: f64| case.evals as f64 * 1e6 / us;
            format!("{:.0}; {:.0}", per_s(ma), per_s(min))
        } else {
            "—".into()
        };
        println!(
            "| {} | {:.1} | {:.1} | {:.2} | {:.1} | {} |",
            case.name,
            ma,
            median(b),
            median(ratio),
            min,
            throughput
        );
    }
    println!();
}

fn bench(c: &mut Criterion) {
    let mut cases = cases();
    for case in cases.iter_mut() {
        let mut g = c.benchmark_group(case.name.clone());
        g.bench_function("quorumkey", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| (case.flow)()).sum())
        });
        g.bench_function("floor", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| (case.floor)()).sum())
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}

fn main() {
    if std::env::var("VAULT_BENCH_SKIP_PAIRED").is_err() {
        paired(&mut cases());
    }
    if std::env::var("VAULT_BENCH_SKIP_CRITERION").is_err() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}
