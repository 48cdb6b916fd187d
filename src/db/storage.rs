//! Storage incidents: a full, failing or read-only disk, logged once when it starts and once
//! when writes succeed again, and shown to the owner on `/admin/health` meanwhile.
//!
//! An incident opens at the first write that fails with a [`StorageFault`] and closes at the
//! next write that commits; the requests that fail in between are counted, not logged.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::clock;
use crate::error::StorageFault;
use crate::monitoring::health::StorageIncident as Incident;

/// The storage state of one application: the open incident, if any, and the last one closed.
#[derive(Debug, Default)]
pub struct StorageWatch {
    /// Whether an incident is open (checked without the lock on every successful write).
    open: AtomicBool,
    incidents: Mutex<(Option<Incident>, Option<Incident>)>,
}

fn fault_name(fault: StorageFault) -> &'static str {
    match fault {
        StorageFault::Full => "full",
        StorageFault::Io => "io",
        StorageFault::ReadOnly => "read_only",
    }
}

impl StorageWatch {
    /// Records a failed write; logs only the first of an incident.
    pub fn fault(&self, fault: StorageFault, source: &rusqlite::Error) {
        let mut incidents = self.incidents.lock().unwrap_or_else(|e| e.into_inner());
        match &mut incidents.0 {
            Some(open) => open.failures += 1,
            None => {
                log::error!(
                    "storage fault: {} (SQLite: {source}). Further failures are counted on \
                     /admin/health until a write succeeds.",
                    fault.message()
                );
                incidents.0 = Some(Incident {
                    fault: fault_name(fault),
                    message: fault.message(),
                    since: clock::unix_now(),
                    resolved_at: None,
                    failures: 1,
                });
                self.open.store(true, Ordering::Release);
            }
        }
    }

    /// Records a write that committed: closes an open incident.
    pub fn write_succeeded(&self) {
        if !self.open.load(Ordering::Acquire) {
            return;
        }
        let mut incidents = self.incidents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut closed) = incidents.0.take() {
            closed.resolved_at = Some(clock::unix_now());
            log::warn!(
                "storage recovered: writes succeed again after {} failed requests",
                closed.failures
            );
            incidents.1 = Some(closed);
        }
        self.open.store(false, Ordering::Release);
    }

    /// The open incident and the last closed one.
    pub fn incidents(&self) -> (Option<Incident>, Option<Incident>) {
        self.incidents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None)
    }

    #[test]
    fn an_incident_counts_failures_until_a_write_succeeds() {
        let watch = StorageWatch::default();
        watch.write_succeeded();
        assert!(watch.incidents().0.is_none());
        for _ in 0..3 {
            watch.fault(StorageFault::Full, &full());
        }
        let (open, last) = watch.incidents();
        assert_eq!(open.unwrap().failures, 3);
        assert!(last.is_none());
        watch.write_succeeded();
        let (open, last) = watch.incidents();
        assert!(open.is_none());
        let last = last.unwrap();
        assert_eq!((last.fault, last.failures), ("full", 3));
        assert!(last.resolved_at.is_some());
    }
}
