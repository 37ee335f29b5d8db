//! Login throttling (登录失败处理): a growing back-off per account and per client address, and a
//! lock after repeated failures that an administrator can lift.
//!
//! Known accounts keep their count in the database (`users.failed_logins`, `locked_until`), so
//! that every server sees the same lock and the administrator's unlock reaches all of them.
//! Unknown usernames and client addresses are counted here in memory, with the same rules, so
//! that a locked unknown name answers exactly like a locked real one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Consecutive failures of an account after which each further attempt waits (1 s, then doubling).
pub const BACKOFF_AFTER: i64 = 3;
/// Consecutive failures after which the account is locked for [`LOCK_FOR`].
pub const LOCK_AFTER: i64 = 10;
/// How long a lock lasts unless an administrator lifts it.
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// Failures from one client address (any usernames) after which it backs off.
pub const ADDRESS_BACKOFF_AFTER: i64 = 20;
/// Longest back-off of a client address.
pub const ADDRESS_MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A client address's failures are forgotten this long after its last one.
pub const ADDRESS_MEMORY: Duration = Duration::from_secs(15 * 60);

/// How long an account must wait after its `n`-th consecutive failure (the lock from
/// [`LOCK_AFTER`] on).
pub fn account_wait(n: i64) -> Duration {
    if n >= LOCK_AFTER {
        LOCK_FOR
    } else if n >= BACKOFF_AFTER {
        Duration::from_secs(1 << (n - BACKOFF_AFTER).min(10))
    } else {
        Duration::ZERO
    }
}

/// How long a client address must wait after its `n`-th failure.
pub fn address_wait(n: i64) -> Duration {
    if n >= ADDRESS_BACKOFF_AFTER {
        Duration::from_secs(1 << (n - ADDRESS_BACKOFF_AFTER).min(20)).min(ADDRESS_MAX_WAIT)
    } else {
        Duration::ZERO
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: i64,
    blocked_until: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// In-memory counts of client addresses and unknown usernames.
#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Seconds until `until`, at least 1.
pub fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1)
}

impl LoginThrottle {
    /// `Some(seconds)` while `key` must wait.
    pub fn blocked(&self, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let map = self.entries.lock().ok()?;
        map.get(key)
            .filter(|e| e.blocked_until > now)
            .map(|e| seconds_until(e.blocked_until, now))
    }

    /// Counts an attempt of an unknown username before the (dummy) password check, like
    /// [`sanyi_store::users::begin_login_attempt`] does for real accounts: `None` while blocked.
    pub fn begin(&self, key: &str, now: DateTime<Utc>) -> Option<i64> {
        let mut map = self.entries.lock().ok()?;
        let e = map.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            blocked_until: now,
            last: now,
        });
        if e.blocked_until > now {
            return None;
        }
        e.failures += 1;
        e.last = now;
        Some(e.failures)
    }

    /// Records the failure of an attempt of an unknown username that [`Self::begin`] counted as
    /// the `n`-th: it waits [`account_wait`]`(n)`, as a real account would.
    pub fn fail_name(&self, key: &str, n: i64, now: DateTime<Utc>) {
        let Ok(mut map) = self.entries.lock() else { return };
        if let Some(e) = map.get_mut(key) {
            e.blocked_until = now + chrono::Duration::from_std(account_wait(n)).unwrap_or_default();
        }
    }

    /// Records a failed login from a client address (any username).
    pub fn fail_address(&self, key: &str, now: DateTime<Utc>) {
        let Ok(mut map) = self.entries.lock() else { return };
        let memory = chrono::Duration::from_std(ADDRESS_MEMORY).unwrap_or_default();
        if map.len() > 100_000 {
            map.retain(|_, e| e.blocked_until > now || now - e.last < memory);
        }
        let e = map.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            blocked_until: now,
            last: now,
        });
        if now - e.last > memory {
            e.failures = 0;
        }
        e.failures += 1;
        e.last = now;
        e.blocked_until = now + chrono::Duration::from_std(address_wait(e.failures)).unwrap_or_default();
    }

    /// Forgets `key` (a good login of that name, or an administrator's unlock).
    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key);
        }
    }
}

/// The key of a client address.
pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The key of a username (for names that are not accounts).
pub fn user_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_then_lock() {
        assert_eq!(account_wait(2), Duration::ZERO);
        assert_eq!(account_wait(3), Duration::from_secs(1));
        assert_eq!(account_wait(4), Duration::from_secs(2));
        assert_eq!(account_wait(9), Duration::from_secs(64));
        assert_eq!(account_wait(10), LOCK_FOR);
        assert_eq!(address_wait(19), Duration::ZERO);
        assert_eq!(address_wait(20), Duration::from_secs(1));
        assert_eq!(address_wait(60), ADDRESS_MAX_WAIT);
    }

    #[test]
    fn an_unknown_name_is_blocked_like_an_account() {
        let t = LoginThrottle::default();
        let now = Utc::now();
        let k = user_key("Nobody");
        for i in 1..=3 {
            assert_eq!(t.begin(&k, now), Some(i));
            t.fail_name(&k, i, now);
        }
        assert_eq!(t.begin(&k, now), None, "backed off after three failures");
        assert_eq!(t.blocked(&k, now), Some(1));
        let later = now + chrono::Duration::seconds(2);
        assert_eq!(t.begin(&k, later), Some(4));
        t.clear(&k);
        assert_eq!(t.begin(&k, later), Some(1));
    }

    #[test]
    fn an_address_backs_off_after_many_failures() {
        let t = LoginThrottle::default();
        let now = Utc::now();
        let k = address_key("10.0.0.1");
        for _ in 0..ADDRESS_BACKOFF_AFTER - 1 {
            t.fail_address(&k, now);
        }
        assert_eq!(t.blocked(&k, now), None);
        t.fail_address(&k, now);
        assert_eq!(t.blocked(&k, now), Some(1));
    }
}
