//! The storage contract, run against every backend: compare-and-set, insert-if-absent,
//! audit appends moving the head, single-use tokens, exactly one winner of a race, and
//! nothing written by a commit that fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use quorumkey_server::storage::{
    AuditWrite, Commit, Expected, RecordWrite, Store, StoreError, TokenUse,
};

fn audit(seq: u64, chain: u8) -> AuditWrite<'static> {
    AuditWrite {
        seq,
        time_ms: 1_000 + seq,
        action: "evaluated",
        fields: r#"{"action":"evaluated"}"#,
        event: b"event bytes",
        chain: [chain; 32],
    }
}

fn commit<'a>(
    user: &'a str,
    expected: Expected,
    record: Option<(&'a [u8], u64)>,
    audit: Option<AuditWrite<'a>>,
    token: Option<&'a str>,
) -> Commit<'a> {
    Commit {
        user,
        expected,
        record: record.map(|(bytes, revision)| RecordWrite { bytes, revision }),
        audit,
        token: token.map(|id| TokenUse {
            id,
            expires_ms: 5_000,
        }),
        now_ms: 2_000,
    }
}

fn at(revision: u64, audit_seq: u64) -> Expected {
    Expected::At {
        revision,
        audit_seq,
    }
}

async fn contract(store: Arc<dyn Store>, name: &str) {
    assert!(store.load("u").await.unwrap().is_none(), "{name}");
    store.ping().await.unwrap();

    // A new user: insert if absent, with the first audit event.
    store
        .commit(&commit(
            "u",
            Expected::Absent,
            Some((b"r1", 1)),
            Some(audit(1, 1)),
            Some("t:1"),
        ))
        .await
        .unwrap();
    let row = store.load("u").await.unwrap().unwrap();
    assert_eq!(
        (
            row.record.as_slice(),
            row.revision,
            row.audit.seq,
            row.audit.link
        ),
        (&b"r1"[..], 1, 1, [1; 32]),
        "{name}"
    );
    // A second "new user" commit loses: the row exists. Its token stays unused.
    let lost = store
        .commit(&commit(
            "u",
            Expected::Absent,
            Some((b"rX", 1)),
            Some(audit(1, 9)),
            Some("t:2"),
        ))
        .await;
    assert!(
        matches!(lost, Err(StoreError::Conflict)),
        "{name}: {lost:?}"
    );

    // Compare-and-set on what was read.
    store
        .commit(&commit(
            "u",
            at(1, 1),
            Some((b"r2", 2)),
            Some(audit(2, 2)),
            Some("t:2"),
        ))
        .await
        .unwrap();
    let stale = store
        .commit(&commit(
            "u",
            at(1, 1),
            Some((b"rY", 2)),
            Some(audit(2, 8)),
            Some("t:3"),
        ))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict)),
        "{name}: {stale:?}"
    );
    // An audit-only commit is checked against the audit position too.
    let stale = store
        .commit(&commit("u", at(2, 1), None, Some(audit(2, 7)), Some("t:3")))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict)),
        "{name}: {stale:?}"
    );
    store
        .commit(&commit("u", at(2, 2), None, Some(audit(3, 3)), Some("t:3")))
        .await
        .unwrap();
    let row = store.load("u").await.unwrap().unwrap();
    assert_eq!(
        (
            row.record.as_slice(),
            row.revision,
            row.audit.seq,
            row.audit.link
        ),
        (&b"r2"[..], 2, 3, [3; 32]),
        "{name}: failed commits wrote nothing"
    );

    // A token is used once, even by a commit that would otherwise succeed; the refused
    // commit writes nothing.
    let replay = store
        .commit(&commit(
            "u",
            at(2, 3),
            Some((b"r3", 3)),
            Some(audit(4, 4)),
            Some("t:3"),
        ))
        .await;
    assert!(
        matches!(replay, Err(StoreError::TokenSpent)),
        "{name}: {replay:?}"
    );
    assert_eq!(
        store.load("u").await.unwrap().unwrap().revision,
        2,
        "{name}"
    );
    let token_only = commit("u", Expected::Absent, None, None, Some("t:4"));
    store.commit(&token_only).await.unwrap();
    assert!(matches!(
        store.commit(&token_only).await,
        Err(StoreError::TokenSpent)
    ));

    // A commit of the wrong shape is refused before anything is written.
    let wrong = store
        .commit(&commit("u", at(2, 3), None, Some(audit(9, 9)), Some("t:5")))
        .await;
    assert!(
        matches!(wrong, Err(StoreError::Invalid(_))),
        "{name}: {wrong:?}"
    );

    // Audit pages, in order, after a position.
    let all = store.audit("u", 0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3],
        "{name}"
    );
    assert_eq!(all[1].chain, [2; 32]);
    assert_eq!(all[1].event, b"event bytes");
    assert_eq!(all[1].time_ms, 1_002);
    let page = store.audit("u", 1, 1).await.unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [2]);
    assert!(store.audit("nobody", 0, 10).await.unwrap().is_empty());
    assert_eq!(store.audit_link("u", 2).await.unwrap(), Some([2; 32]));
    assert_eq!(store.audit_link("u", 9).await.unwrap(), None);

    // Used tokens are forgotten once expired (5 000 ms here).
    assert_eq!(store.prune_tokens(4_000).await.unwrap(), 0, "{name}");
    assert!(store.prune_tokens(6_000).await.unwrap() >= 4, "{name}");
    store.commit(&token_only).await.unwrap();
}

async fn race(store: Arc<dyn Store>, name: &str) {
    store
        .commit(&commit(
            "r",
            Expected::Absent,
            Some((b"r1", 1)),
            Some(audit(1, 1)),
            None,
        ))
        .await
        .unwrap();
    // Sixteen writers read the same row; exactly one may win.
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let token = format!("race:{i}");
            let bytes = [i; 4];
            store
                .commit(&commit(
                    "r",
                    at(1, 1),
                    Some((&bytes, 2)),
                    Some(audit(2, i)),
                    Some(&token),
                ))
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(wins, 1, "{name}");
    let row = store.load("r").await.unwrap().unwrap();
    assert_eq!((row.revision, row.audit.seq), (2, 2), "{name}");
    assert_eq!(store.audit("r", 0, 10).await.unwrap().len(), 2, "{name}");

    // Two new users racing for one id: one row.
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let bytes = [i; 4];
            store
                .commit(&commit(
                    "n",
                    Expected::Absent,
                    Some((&bytes, 1)),
                    Some(audit(1, i)),
                    None,
                ))
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1, "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storage_contract_on_every_backend() {
    for backend in common::backends().await {
        contract(backend.open().await, backend.name()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compare_and_set_races_have_one_winner() {
    for backend in common::backends().await {
        race(backend.open().await, backend.name()).await;
    }
}

#[tokio::test]
async fn sqlite_database_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("db.sqlite3");
    let url = format!("sqlite://{}", path.display());
    quorumkey_server::storage::open(&url, &Default::default())
        .await
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
}
