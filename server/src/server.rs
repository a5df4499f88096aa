//! `serve`: build the state from the configuration, listen, and shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::app::{self, AppState, Keys, Settings};
use crate::auth::{Authenticator, DevIssuer, JwksSource};
use crate::config::{Common, ConfigError, Serve};
use crate::keyring::Keyring;
use crate::limits::Limits;
use crate::service::now_ms;
use crate::storage;

/// Builds the application state: keyring (created on first start), database (migrated),
/// issuer keys, limits.
pub async fn build(common: &Common, serve: &Serve) -> Result<AppState, String> {
    let source = common.keyring_source();
    let (keyring, created) =
        Keyring::load(&source, matches!(source, crate::keyring::Source::File(_)))
            .map_err(|e| e.to_string())?;
    if created {
        tracing::info!("created a new keyring with generation 1; back it up (see README)");
    }
    let keys =
        Keys::new(&keyring, &common.server_id, serve.max_guesses).map_err(|e| e.to_string())?;

    let url = common.database_url();
    let store = storage::open(&url, &common.store_options(serve.migrate))
        .await
        .map_err(|e| format!("QUORUMKEY_DATABASE_URL: {e}"))?;

    let auth = authenticator(common, serve)?;
    let (user, address) = serve.buckets();
    let settings = Settings {
        server_id: common.server_id.clone(),
        admin_token: serve.admin_token().map_err(|e| e.to_string())?,
        request_timeout: serve.request_timeout().map_err(|e| e.to_string())?,
        client_ip_header: serve.client_ip_header().map_err(|e| e.to_string())?,
    };
    tracing::info!(
        backend = store.backend(),
        generations = ?keyring.generations.iter().map(|g| g.generation).collect::<Vec<_>>(),
        current_generation = keyring.current,
        server_id = %common.server_id,
        "key server ready"
    );
    Ok(app::state(
        keys,
        store,
        Arc::new(auth),
        Limits::new(user, address),
        settings,
    ))
}

fn is_loopback(bind: &str) -> bool {
    bind.parse::<SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or_else(|_| bind.starts_with("localhost:"))
}

fn authenticator(common: &Common, serve: &Serve) -> Result<Authenticator, String> {
    let lifetime = Duration::from_secs(serve.token_max_lifetime);
    let sources = serve.jwks_sources();
    if !sources.is_empty() {
        let issuers = serve.issuer_map().map_err(|e| e.to_string())?;
        if issuers.is_empty() {
            return Err(ConfigError {
                setting: "QUORUMKEY_ISSUERS",
                problem: "required with QUORUMKEY_JWKS (tenant=issuer pairs)".into(),
            }
            .to_string());
        }
        let auth = Authenticator::new(common.server_id.clone(), issuers, sources, lifetime)
            .map_err(|e| format!("QUORUMKEY_JWKS: {e}"))?;
        return Ok(auth);
    }
    if !is_loopback(&serve.bind) {
        return Err(ConfigError {
            setting: "QUORUMKEY_JWKS",
            problem: "required when binding a non-loopback address (the development issuer \
                      is for local use only)"
                .into(),
        }
        .to_string());
    }
    let dev = DevIssuer::load_or_create(&common.dev_issuer_path())?;
    tracing::warn!(
        path = %common.dev_issuer_path().display(),
        "DEVELOPMENT ISSUER: no QUORUMKEY_JWKS set, so tokens from `quorumkey-server dev-token` \
         are accepted. Configure your issuer keys before production use."
    );
    let issuers = [(dev.tenant().to_owned(), dev.issuer.clone())].into();
    Authenticator::new(
        common.server_id.clone(),
        issuers,
        vec![JwksSource::Inline(dev.jwks())],
        lifetime,
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Background work: prune used tokens and idle rate-limit buckets, keep the metrics
/// histograms bounded, reload the JWKS, and reload the keyring on SIGHUP.
fn spawn_maintenance(state: &AppState, common: &Common, serve: &Serve) {
    let s = Arc::clone(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match s.store.prune_tokens(now_ms()).await {
                Ok(n) if n > 0 => tracing::debug!(pruned = n, "expired used tokens forgotten"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning used tokens failed"),
            }
            s.limits.prune();
        }
    });
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            crate::telemetry::metrics().run_upkeep();
        }
    });
    if state.auth.has_remote_sources() && serve.jwks_refresh > 0 {
        let s = Arc::clone(state);
        let every = Duration::from_secs(serve.jwks_refresh);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let auth = Arc::clone(&s.auth);
                match tokio::task::spawn_blocking(move || auth.refresh()).await {
                    Ok(Ok(n)) => tracing::debug!(keys = n, "issuer keys reloaded"),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "issuer keys not reloaded; keeping the previous ones")
                    }
                    Err(e) => tracing::warn!(error = %e, "issuer key reload failed"),
                }
            }
        });
    }
    #[cfg(unix)]
    {
        let s = Arc::clone(state);
        let source = common.keyring_source();
        let server_id = common.server_id.clone();
        let max_guesses = serve.max_guesses;
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    let loaded = Keyring::load(&source, false).and_then(|(ring, _)| {
                        Keys::new(&ring, &server_id, max_guesses).map(|k| (ring, k))
                    });
                    match loaded {
                        Ok((ring, keys)) => {
                            s.set_keys(keys);
                            tracing::info!(current_generation = ring.current, "keyring reloaded");
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "keyring not reloaded; keeping the previous one")
                        }
                    }
                }
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (common, serve);
}

/// Runs the key server until SIGINT or SIGTERM, then drains in-flight requests (at most
/// the configured grace period).
pub async fn run(common: &Common, serve: &Serve) -> Result<(), String> {
    let state = build(common, serve).await?;
    let listener = TcpListener::bind(&serve.bind)
        .await
        .map_err(|e| format!("QUORUMKEY_BIND: cannot listen on {}: {e}", serve.bind))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("QUORUMKEY_BIND: {e}"))?;
    spawn_maintenance(&state, common, serve);
    let router = app::app(state);
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    tracing::info!("listening on http://{address}");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_secs(serve.shutdown_grace);
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections; draining in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut stopping = stop_rx;
    let deadline = async move {
        let _ = stopping.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(|e| format!("server: {e}"))?,
        () = deadline => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    tracing::info!("stopped");
    Ok(())
}
