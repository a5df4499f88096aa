//! The commands besides `serve`: migrations, keyring management, development tokens and
//! audit verification.

use std::io::Write;

use crate::audit::{self, Entry, Fields};
use crate::auth::DevIssuer;
use crate::config::{Cli, Command, Common, KeysAction};
use crate::keyring::Keyring;
use crate::storage;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), String> {
    let common = &cli.common;
    match cli.command {
        Command::Serve(serve) => crate::server::run(common, &serve).await,
        Command::Migrate => {
            let store = open_store(common, true).await?;
            println!("{}: migrations applied", store.backend());
            Ok(())
        }
        Command::Keys { action } => keys(common, action.unwrap_or(KeysAction::List)),
        Command::DevToken { user, ttl } => {
            let issuer = DevIssuer::load_or_create(&common.dev_issuer_path())?;
            let now = crate::service::now_ms() / 1000;
            println!("{}", issuer.token(&user, &common.server_id, now, ttl)?);
            Ok(())
        }
        Command::VerifyAudit { user } => verify_audit(common, &user).await,
    }
}

async fn open_store(
    common: &Common,
    migrate: bool,
) -> Result<std::sync::Arc<dyn storage::Store>, String> {
    storage::open(&common.database_url(), &common.store_options(migrate))
        .await
        .map_err(|e| format!("QUORUMKEY_DATABASE_URL: {e}"))
}

fn keys(common: &Common, action: KeysAction) -> Result<(), String> {
    let source = common.keyring_source();
    let create = matches!(source, crate::keyring::Source::File(_))
        && matches!(
            action,
            KeysAction::List | KeysAction::Rotate { .. } | KeysAction::ExportPublic { .. }
        );
    let (mut ring, _) = Keyring::load(&source, create).map_err(|e| e.to_string())?;
    match action {
        KeysAction::List => {
            println!("generation  status    created               not_after             retired");
            for g in &ring.generations {
                println!(
                    "{:<10}  {:<8}  {:<20}  {:<20}  {}",
                    g.generation,
                    ring.status(g).name(),
                    g.created,
                    g.not_after.as_deref().unwrap_or("-"),
                    g.retired.as_deref().unwrap_or("-"),
                );
            }
        }
        KeysAction::Rotate { window_days } => {
            let previous = ring.current;
            let next = ring.rotate(time::Duration::days(i64::from(window_days)));
            ring.save(&source).map_err(|e| e.to_string())?;
            println!(
                "generation {next} is current; generation {previous} is served until {} \
                 (reload every server: SIGHUP or restart)",
                ring.generation(previous)
                    .and_then(|g| g.not_after.clone())
                    .unwrap_or_default()
            );
        }
        KeysAction::Retire { generation, force } => {
            ring.retire(generation, force).map_err(|e| e.to_string())?;
            ring.save(&source).map_err(|e| e.to_string())?;
            println!(
                "generation {generation} retired: its seed is deleted from the keyring \
                 (reload every server: SIGHUP or restart; destroy old copies and backups of the keyring)"
            );
        }
        KeysAction::ExportPublic { out } => {
            let server = ring.key_server(1).map_err(|e| e.to_string())?;
            let text = serde_json::to_string_pretty(&ring.directory(&common.server_id, &server))
                .map_err(|e| e.to_string())?
                + "\n";
            match out {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?
                }
                None => std::io::stdout()
                    .write_all(text.as_bytes())
                    .map_err(|e| e.to_string())?,
            }
        }
    }
    Ok(())
}

async fn verify_audit(common: &Common, user: &str) -> Result<(), String> {
    let store = open_store(common, false).await?;
    let mut after = 0;
    let mut link = audit::GENESIS;
    loop {
        let rows = store
            .audit(user, after, 1000)
            .await
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            break;
        }
        let entries = rows
            .into_iter()
            .map(|r| {
                Ok(Entry {
                    seq: r.seq,
                    time_ms: r.time_ms,
                    fields: serde_json::from_str::<Fields>(&r.fields)
                        .map_err(|e| format!("event {}: {e}", r.seq))?,
                    event: hex::encode(&r.event),
                    chain: hex::encode(r.chain),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        link = audit::verify_chain(user, &entries, after, link).map_err(|e| e.to_string())?;
        after = entries.last().map_or(after, |e| e.seq);
    }
    let head = store
        .load(user)
        .await
        .map_err(|e| e.to_string())?
        .map(|row| row.audit);
    match head {
        Some(h) if h.seq != after || h.link != link => Err(format!(
            "the user's row says the log ends at event {} but the events end at {after}",
            h.seq
        )),
        _ => {
            println!("{user}: {after} events, chain verified");
            Ok(())
        }
    }
}
