//! Test world shared by the vault and lifecycle tests: in-process key servers and the
//! enroll/unlock round trips through them.
#![allow(dead_code)]

use quorumkey::Error;
use quorumkey::gate::{GateMode, GateResponse, ServerPin, ServerRequest};
use quorumkey::keyserver::KeyServer;
use quorumkey::policy::Policy;
use quorumkey::vault::{
    Capsule, Enrolled, Enrollment, KeyServerSetup, Unlock, UnlockedVault, VaultHeader, VaultShare,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const USER: &[u8] = b"user-42";

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// One key server in the test world, with the versions it keeps active for USER.
pub struct Server {
    pub key_id: &'static str,
    pub server: KeyServer,
    pub active: Vec<u32>,
}

impl Server {
    pub fn new(key_id: &'static str, seed: u8) -> Self {
        Self {
            key_id,
            server: KeyServer::new([seed; 32]),
            active: vec![1],
        }
    }

    pub fn pin(&self, version: u32, mode: &GateMode) -> ServerPin {
        ServerPin {
            key_version: version,
            public_key: self.server.public_key(USER, version, mode.mode()).unwrap(),
        }
    }

    pub fn answer(
        &self,
        request: &ServerRequest,
        rng: &mut ChaCha20Rng,
    ) -> Result<GateResponse, Error> {
        let (response, event) =
            self.server
                .evaluate(USER, &self.active, &request.request.to_bytes(), rng)?;
        assert_eq!(event.user_id, USER);
        assert_eq!(
            event.element_count,
            request.request.evaluation_request().len()
        );
        // What crosses the wire really is bytes.
        Ok(GateResponse::from_bytes(&response.to_bytes()).unwrap())
    }
}

pub fn route<'a>(servers: &'a [Server], request: &ServerRequest) -> &'a Server {
    servers.iter().find(|s| s.key_id == request.key_id).unwrap()
}

pub fn enroll(
    policy: Policy,
    servers: &[Server],
    mode: GateMode,
    password: Option<&[u8]>,
    seed: u64,
) -> Enrolled {
    let mut rng = rng(seed);
    let setups: Vec<KeyServerSetup> = policy
        .key_servers()
        .map(|h| {
            let server = servers
                .iter()
                .find(|s| Some(s.key_id) == h.kind().key_id())
                .unwrap();
            KeyServerSetup {
                holder: h.id(),
                pin: server.pin(1, &mode),
                mode: mode.clone(),
            }
        })
        .collect();
    let (enrollment, requests) = Enrollment::start(policy, &setups, password, &mut rng).unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|r| route(servers, r).answer(r, &mut rng).unwrap())
        .collect();
    enrollment.finish(&responses, &mut rng).unwrap()
}

pub fn unlock(
    header: &VaultHeader,
    shares: &[VaultShare],
    capsules: &[Capsule],
    servers: &[Server],
    password: Option<&[u8]>,
    seed: u64,
) -> Result<UnlockedVault, Error> {
    let mut rng = rng(seed);
    let (unlock, requests) = Unlock::start(header, shares, capsules, password, &mut rng)?;
    let responses: Vec<Option<GateResponse>> = requests
        .iter()
        .map(|r| {
            // A server missing from the test world is unreachable: no response.
            let server = servers.iter().find(|s| s.key_id == r.key_id)?;
            server.answer(r, &mut rng).ok()
        })
        .collect();
    unlock.finish(&responses, &mut rng)
}

/// `Unlock::start` with what an enrolled device keeps: the header, its shares, the capsules.
pub fn start_unlock(
    enrolled: &Enrolled,
    password: Option<&[u8]>,
    rng: &mut ChaCha20Rng,
) -> Result<(Unlock, Vec<ServerRequest>), Error> {
    Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        password,
        rng,
    )
}

pub fn two_of_three() -> Policy {
    Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "keys", "keys.example")
        .custodian(3, "recovery card")
        .build()
        .unwrap()
}

/// 3-of-4 {laptop, server A, server B, escrow}, with its two key servers.
pub fn three_of_four_two_servers() -> (Policy, [Server; 2]) {
    let policy = Policy::builder(3)
        .device(1, "laptop")
        .key_server(2, "server A", "a.example")
        .key_server(3, "server B", "b.example")
        .custodian(4, "escrow")
        .build()
        .unwrap();
    (
        policy,
        [Server::new("a.example", 1), Server::new("b.example", 2)],
    )
}
