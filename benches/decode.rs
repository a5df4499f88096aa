//! Decoding cost of the largest public objects, each beside its floor.
//!
//! A recovery kit at `t = 255` carries a header with 255 Feldman commitments and one capsule
//! per key-server holder, each with the server's public key `pkS`. Decoding cannot avoid
//! decompressing each of those points once (a square root each) and the header digest; the
//! floor does exactly that with raw `p256::ProjectivePoint::from_bytes` calls and one BLAKE3
//! `derive_key` over the header. Everything else a strict decoder does (policy, lengths,
//! bindings) is byte work.
//!
//! Run with `cargo bench --bench decode`. Every round times the kit decode and its floor back
//! to back; the ratio is the median of the per-round ratios (the machine may be shared and
//! noisy). `DECODE_BENCH_ROUNDS` sets the number of rounds (default 41).

use std::hint::black_box;
use std::time::Instant;

use p256::elliptic_curve::group::GroupEncoding;
use quorumkey::gate::{GateMode, GateResponse, Purpose, ServerPin};
use quorumkey::keyserver::{KeyServer, Operation};
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use quorumkey::sharing::Commitments;
use quorumkey::vault::{Enrollment, KeyServerSetup, RecoveryKit, VaultHeader};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const USER: &[u8] = b"user-42";

/// An encoded recovery kit for a `threshold`-of-255 vault: holder 1 a device, holders
/// `2..=servers + 1` key servers (one capsule each), the rest custodians.
fn kit(threshold: u8, servers: u8) -> Vec<u8> {
    let server = KeyServer::new([7; 32]);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut record = None;
    server
        .handle_local(USER, &mut record, Operation::AddKeyVersion, &mut rng)
        .unwrap();
    let stored = record.clone().unwrap();
    let key_ids: Vec<String> = (0..servers).map(|i| format!("k{i}.example")).collect();
    let mut builder = Policy::builder(threshold).device(1, "phone");
    for (i, key_id) in (2u8..).zip(&key_ids) {
        builder = builder.key_server(i, "keys", key_id);
    }
    for id in u16::from(servers) + 2..=255 {
        builder = builder.custodian(id as u8, "card");
    }
    let policy = builder.build().unwrap();
    let pin = ServerPin {
        key_version: 1,
        public_key: server
            .public_key(USER, &stored, 1, Purpose::Capsule, Mode::Voprf)
            .unwrap(),
    };
    let setups: Vec<KeyServerSetup> = policy
        .key_servers()
        .map(|h| KeyServerSetup {
            holder: h.id(),
            pin: pin.clone(),
            mode: GateMode::Voprf,
        })
        .collect();
    let (enrollment, requests) = Enrollment::start(policy, &setups, None, &mut rng).unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| {
            let request = q.request.to_bytes();
            let released = server
                .handle_local(USER, &mut record, Operation::Evaluate(&request), &mut rng)
                .unwrap();
            GateResponse::from_bytes(&released.body).unwrap()
        })
        .collect();
    let enrolled = enrollment.finish(&responses, &mut rng).unwrap();
    RecoveryKit::new(enrolled.header, enrolled.capsules)
        .unwrap()
        .to_bytes()
}

/// What the floor decodes: every point of the kit (the commitments, then each capsule's
/// `pkS`) and the header bytes to digest.
struct Floor {
    points: Vec<[u8; 33]>,
    header: Vec<u8>,
}

impl Floor {
    fn of(kit_bytes: &[u8]) -> Self {
        let kit = RecoveryKit::from_bytes(kit_bytes).unwrap();
        let commitments: &Commitments = kit.header().commitments();
        let mut points: Vec<[u8; 33]> = commitments
            .as_slice()
            .iter()
            .map(|c| c.to_bytes().as_slice().try_into().unwrap())
            .collect();
        points.extend(kit.capsules().iter().map(|c| c.pin().public_key.to_bytes()));
        Self {
            points,
            header: kit.header().to_bytes(),
        }
    }

    /// Decompresses every point once and digests the header.
    fn run(&self) {
        for bytes in &self.points {
            let point: Option<p256::ProjectivePoint> =
                p256::ProjectivePoint::from_bytes(&(*bytes).into()).into();
            black_box(point.unwrap());
        }
        black_box(blake3::derive_key("quorumkey v1 header", &self.header));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("DECODE_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    println!("\npaired, {rounds} rounds (median µs; ratio = median of per-round kit/floor)\n");
    println!("| object | bytes | points | decode (µs) | floor (µs) | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (threshold, servers) in [(255u8, 1u8), (255, 8), (255, 254)] {
        let bytes = kit(threshold, servers);
        let floor = Floor::of(&bytes);
        let decoded = RecoveryKit::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.to_bytes(), bytes);
        assert_eq!(
            VaultHeader::from_bytes(&floor.header).unwrap().digest(),
            decoded.header().digest()
        );
        // Warm up.
        black_box(RecoveryKit::from_bytes(&bytes).unwrap());
        floor.run();
        let (mut a, mut b, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let start = Instant::now();
            black_box(RecoveryKit::from_bytes(black_box(&bytes)).unwrap());
            let x = start.elapsed().as_secs_f64() * 1e6;
            let start = Instant::now();
            floor.run();
            let y = start.elapsed().as_secs_f64() * 1e6;
            a.push(x);
            b.push(y);
            ratio.push(x / y);
        }
        println!(
            "| recovery kit t={threshold}, {servers} capsule(s) | {} | {} | {:.0} | {:.0} | {:.2} |",
            bytes.len(),
            floor.points.len(),
            median(a),
            median(b),
            median(ratio),
        );
    }
    println!();
}
