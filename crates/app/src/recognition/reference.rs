//! The reference data of the order-time check held in memory: each county's pool, each pool's
//! catalogue (互认目录, with the engine's items parsed) and the participating institutions
//! (参与机构). A check then reads only the resident, the ordering institution, the resident's
//! prior results and the producers' names from the database.
//!
//! The snapshot is reloaded when older than [`TTL`], and at once after a catalogue or participant
//! change made through this process; a change made by another process (or by the demo seeding,
//! which writes to the store directly) is seen within [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sanyi_care::recognition::{Participant, RecognisedItem, item_of};
use sanyi_store::recognition::{self as repo, ItemRow};
use sanyi_store::{Db, registry};

use super::{engine_item, engine_participant};
use crate::ServiceError;

/// How long a snapshot serves before it is reloaded.
pub const TTL: Duration = Duration::from_secs(30);

/// One load of the reference data.
#[derive(Debug, Default)]
pub struct Reference {
    /// County → pool.
    pools: HashMap<String, String>,
    /// Pool → its catalogue rows and the engine's items, in the same order.
    catalogues: HashMap<String, (Vec<ItemRow>, Vec<RecognisedItem>)>,
    /// Institution → its participation.
    participants: HashMap<String, Participant>,
}

impl Reference {
    async fn load(db: &Db) -> Result<Reference, ServiceError> {
        let pools: HashMap<String, String> = registry::counties(db)
            .await?
            .into_iter()
            .map(|c| (c.division_code, c.pool_code))
            .collect();
        let mut catalogues = HashMap::new();
        for pool in pools.values() {
            if catalogues.contains_key(pool) {
                continue;
            }
            let rows = repo::items(db, pool).await?;
            let engines = rows.iter().map(engine_item).collect::<Result<Vec<_>, _>>()?;
            catalogues.insert(pool.clone(), (rows, engines));
        }
        let participants = repo::participants(db, "")
            .await?
            .iter()
            .map(|p| engine_participant(p).map(|e| (p.institution_id.clone(), e)))
            .collect::<Result<HashMap<_, _>, _>>()?;
        Ok(Reference {
            pools,
            catalogues,
            participants,
        })
    }

    /// The pool of a county (empty when the county is unknown).
    pub fn pool_of(&self, county: &str) -> &str {
        self.pools.get(county).map_or("", String::as_str)
    }

    /// A catalogue item of a pool by its own code, else by one of its equivalents.
    pub fn item(&self, pool: &str, code: &str) -> Option<(&ItemRow, &RecognisedItem)> {
        let (rows, engines) = self.catalogues.get(pool)?;
        let found = engines.iter().find(|e| e.code == code).or_else(|| item_of(engines, code))?;
        let at = engines.iter().position(|e| e.code == found.code)?;
        Some((rows.get(at)?, found))
    }

    /// The participation of these institutions (absent ones do not take part).
    pub fn participants_of<'a>(&self, institutions: impl IntoIterator<Item = &'a String>) -> Vec<Participant> {
        institutions.into_iter().filter_map(|i| self.participants.get(i).cloned()).collect()
    }
}

/// The process's snapshot of the reference data.
#[derive(Debug, Default)]
pub struct ReferenceCache {
    current: Mutex<Option<(Instant, Arc<Reference>)>>,
}

impl ReferenceCache {
    /// The current snapshot, loaded when missing, stale or invalidated.
    ///
    /// # Errors
    /// On a database error or a stored row the engine cannot read.
    pub async fn get(&self, db: &Db) -> Result<Arc<Reference>, ServiceError> {
        if let Some((at, r)) = self.lock().as_ref()
            && at.elapsed() < TTL
        {
            return Ok(r.clone());
        }
        // Loaded outside the lock: two concurrent loads are harmless, a blocked runtime is not.
        let fresh = Arc::new(Reference::load(db).await?);
        *self.lock() = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// Drops the snapshot after a change (the next check reloads it).
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Reference>)>> {
        self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
