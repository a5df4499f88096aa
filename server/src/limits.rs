//! Rate limits: token buckets counted in OPRF elements, per user and per client address
//! (`spec/http-api.md` §5).
//!
//! An evaluation costs its element count, any other protocol request one token. Buckets live
//! in this process's memory: with N processes behind a load balancer the effective limit is
//! N times the configured one. The security boundary against password guessing is the
//! core's guess counter, stored in the database with every guess; rate limits only protect
//! capacity.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// One bucket's size and refill rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketConfig {
    /// Tokens a full bucket holds (0 disables the bucket).
    pub burst: u32,
    /// Tokens added per minute.
    pub per_minute: u32,
}

type Limiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

struct Bucket<K: std::hash::Hash + Eq + Clone> {
    limiter: Limiter<K>,
    quota: Quota,
    clock: DefaultClock,
}

impl<K: std::hash::Hash + Eq + Clone> Bucket<K> {
    fn new(config: BucketConfig) -> Option<Self> {
        let burst = NonZeroU32::new(config.burst)?;
        let per_minute = config.per_minute.max(1);
        let period = Duration::from_nanos(60_000_000_000 / u64::from(per_minute))
            .max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)?.allow_burst(burst);
        let clock = DefaultClock::default();
        let limiter: Limiter<K> =
            RateLimiter::<K, _, _, governor::middleware::NoOpMiddleware<_>>::new(
                quota,
                DefaultKeyedStateStore::default(),
                clock.clone(),
            )
            .with_middleware::<StateInformationMiddleware>();
        Some(Self {
            limiter,
            quota,
            clock,
        })
    }

    fn take(&self, key: &K, cost: u32) -> Result<State, u64> {
        let burst = self.quota.burst_size().get();
        // A request larger than the bucket empties a full bucket rather than never passing.
        let n = NonZeroU32::new(cost.clamp(1, burst)).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(key, n) {
            Ok(Ok(snapshot)) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = burst.saturating_sub(remaining);
                let reset = self.quota.replenish_interval() * missing;
                Ok(State {
                    limit: burst,
                    remaining,
                    reset_secs: reset.as_secs() + u64::from(reset.subsec_nanos() > 0),
                })
            }
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
            Err(_) => Err(self.quota.burst_size_replenished_in().as_secs().max(1)),
        }
    }

    fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// A bucket's state after a request was admitted: the `RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    /// Bucket size.
    pub limit: u32,
    /// Tokens left.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
}

/// A refused request: which bucket, and when to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// `user` or `address`.
    pub bucket: &'static str,
    /// Seconds until the request would be admitted.
    pub retry_after: u64,
}

/// The per-user and per-address buckets of one process.
pub struct Limits {
    user: Option<Bucket<String>>,
    address: Option<Bucket<IpAddr>>,
    user_config: BucketConfig,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("user", &self.user_config)
            .field("address", &self.address.as_ref().map(|b| b.quota))
            .finish()
    }
}

impl Limits {
    /// Buckets of the given sizes (a burst of 0 disables that bucket).
    pub fn new(user: BucketConfig, address: BucketConfig) -> Self {
        Self {
            user: Bucket::new(user),
            address: Bucket::new(address),
            user_config: user,
        }
    }

    /// The per-user bucket's configuration.
    pub fn user_config(&self) -> BucketConfig {
        self.user_config
    }

    /// Takes `cost` tokens from the user's and then the address's bucket. Returns the user
    /// bucket's state (`None` if that bucket is disabled).
    pub fn admit(
        &self,
        user: &str,
        address: Option<IpAddr>,
        cost: u32,
    ) -> Result<Option<State>, Refused> {
        let state =
            match &self.user {
                Some(bucket) => Some(bucket.take(&user.to_owned(), cost).map_err(
                    |retry_after| Refused {
                        bucket: "user",
                        retry_after,
                    },
                )?),
                None => None,
            };
        if let (Some(bucket), Some(address)) = (&self.address, address) {
            bucket.take(&address, cost).map_err(|retry_after| Refused {
                bucket: "address",
                retry_after,
            })?;
        }
        Ok(state)
    }

    /// Forgets buckets that are full again (bounded memory).
    pub fn prune(&self) {
        if let Some(b) = &self.user {
            b.prune();
        }
        if let Some(b) = &self.address {
            b.prune();
        }
    }
}
