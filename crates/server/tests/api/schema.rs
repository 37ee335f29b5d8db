//! Schema conventions that keep the store ready for a distributed PostgreSQL (Citus).

use crate::helpers::fresh_db;

/// `*_id` columns that deliberately have no foreign key: the audit log keeps plain values so
/// that it outlives what it describes; referral events name actors of any county.
const NO_FK: &[(&str, &str)] = &[
    ("audit_log", "user_id"),
    ("audit_log", "entity_id"),
    ("audit_log", "resident_id"),
    // The actor of a referral transition may belong to another county (or be a timer).
    ("referral_events", "actor_user_id"),
    ("referral_events", "institution_id"),
    ("consultation_events", "actor_user_id"),
    ("consultation_events", "institution_id"),
    ("reading_events", "actor_user_id"),
    ("reading_events", "institution_id"),
];

#[tokio::test]
async fn every_table_carries_the_division_code_and_every_id_column_a_foreign_key() {
    let (db, _dir) = fresh_db().await;
    let schema = db.schema().await.unwrap();
    assert!(schema.len() >= 12, "{schema:?}");
    let fks = db.foreign_key_columns().await.unwrap();
    for (table, columns) in &schema {
        assert!(columns.iter().any(|c| c == "division_code"), "{table} lacks division_code");
        for c in columns.iter().filter(|c| c.ends_with("_id") && *c != "id") {
            let has_fk = fks.iter().any(|(t, col)| t == table && col == c);
            let exempt = NO_FK.contains(&(table.as_str(), c.as_str()));
            assert!(has_fk || exempt, "{table}.{c} has no foreign key");
        }
    }
}

/// The committed description of the schema both backends must expose (tables and columns).
#[tokio::test]
async fn both_backends_expose_the_same_tables_and_columns() {
    let (db, _dir) = fresh_db().await;
    let schema = db.schema().await.unwrap();
    let text: String = schema.iter().map(|(t, cols)| format!("{t}: {}\n", cols.join(", "))).collect();
    let expected = include_str!("schema.txt");
    if std::env::var_os("SANYI_UPDATE_SCHEMA").is_some() && db.backend() == sanyi_store::Backend::Sqlite {
        // After a migration: `SANYI_UPDATE_SCHEMA=1 cargo test -p sanyi-server --test api schema` rewrites the file.
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schema.txt"), &text).unwrap();
        return;
    }
    assert_eq!(
        text,
        expected,
        "schema differs from tests/api/schema.txt (backend {:?})",
        db.backend()
    );
}

/// Reference tables (small, replicated on a sharded deployment) whose keys need not lead with the
/// county: usernames and session tokens are global.
const REFERENCE_KEYS: &[(&str, &[&str])] = &[("users", &["username"]), ("sessions", &["token_hash"])];

#[tokio::test]
async fn every_primary_and_unique_key_includes_the_division_code() {
    let (db, _dir) = fresh_db().await;
    let keys = db.unique_keys().await.unwrap();
    assert!(keys.len() >= 15, "{keys:?}");
    for (table, key, columns) in &keys {
        let reference = REFERENCE_KEYS
            .iter()
            .any(|(t, cols)| t == table && cols.iter().copied().eq(columns.iter().map(String::as_str)));
        assert!(
            reference || columns.iter().any(|c| c == "division_code"),
            "{table}.{key} ({columns:?}) lacks division_code"
        );
    }
}
