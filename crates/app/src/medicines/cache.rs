//! Reference data that prescribing and dispensing read on every request: the catalogue versions
//! of a pool and the selected products of a county's contracted projects. Both change a few
//! times a year; reading them from the database twice per dispensing was a third of its round
//! trips (docs/PERFORMANCE.md, Medicines).
//!
//! The process holds one snapshot per pool and per county, dropped at once when this process
//! imports a catalogue or changes a project, and reloaded when older than [`TTL`] so that a change
//! made by another process (a second server on the same PostgreSQL, `sanyi procurement
//! catalogue-import`) is seen within it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sanyi_store::Db;
use sanyi_store::medicines::{self as repo, CatalogueVersionRow, ProductRow, ProjectRow};

use crate::ServiceError;

/// How long a snapshot is used before it is read again.
pub const TTL: Duration = Duration::from_secs(30);

/// A contracted project's selected product, with its project.
#[derive(Clone, Debug)]
pub(crate) struct Selected {
    pub(crate) project: ProjectRow,
    pub(crate) product: ProductRow,
}

/// Snapshots by pool or county, with the time each was loaded.
type ByKey<T> = HashMap<String, (Instant, Arc<Vec<T>>)>;
type Snapshots<T> = Mutex<ByKey<T>>;

/// The process's snapshots of the medicines reference data.
#[derive(Debug, Default)]
pub struct MedicinesCache {
    versions: Snapshots<CatalogueVersionRow>,
    contracted: Snapshots<Selected>,
}

fn lock<T>(m: &Snapshots<T>) -> MutexGuard<'_, ByKey<T>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn fresh<T>(m: &Snapshots<T>, key: &str) -> Option<Arc<Vec<T>>> {
    lock(m).get(key).filter(|(at, _)| at.elapsed() < TTL).map(|(_, v)| v.clone())
}

impl MedicinesCache {
    /// The catalogue versions of `pool`, oldest first.
    ///
    /// # Errors
    /// On a database error.
    pub(crate) async fn versions(&self, db: &Db, pool: &str) -> Result<Arc<Vec<CatalogueVersionRow>>, ServiceError> {
        if let Some(v) = fresh(&self.versions, pool) {
            return Ok(v);
        }
        // Loaded outside the lock: two concurrent loads are harmless, a blocked runtime is not.
        let v = Arc::new(repo::versions(db, pool).await?);
        lock(&self.versions).insert(pool.to_owned(), (Instant::now(), v.clone()));
        Ok(v)
    }

    /// The selected products of the contracted projects of `county` (any period).
    ///
    /// # Errors
    /// On a database error.
    pub(crate) async fn contracted(&self, db: &Db, county: &str) -> Result<Arc<Vec<Selected>>, ServiceError> {
        if let Some(v) = fresh(&self.contracted, county) {
            return Ok(v);
        }
        let projects: HashMap<String, ProjectRow> = repo::projects(db, county)
            .await?
            .into_iter()
            .filter(|p| p.division_code == county && p.state == "contracted")
            .map(|p| (p.id.clone(), p))
            .collect();
        let rows = if projects.is_empty() {
            Vec::new()
        } else {
            repo::products(db, county, None)
                .await?
                .into_iter()
                .filter_map(|product| {
                    projects.get(&product.project_id).map(|project| Selected {
                        project: project.clone(),
                        product,
                    })
                })
                .collect()
        };
        let v = Arc::new(rows);
        lock(&self.contracted).insert(county.to_owned(), (Instant::now(), v.clone()));
        Ok(v)
    }

    /// Drops every snapshot after a change (the next read loads it again).
    pub fn invalidate(&self) {
        lock(&self.versions).clear();
        lock(&self.contracted).clear();
    }
}
