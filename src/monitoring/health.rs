//! Health reporting: what the detailed health check reports and the probes of the data
//! directory behind it (writability, free space). The checks that need the database run in
//! `routes::health`; this module only describes and measures.

use serde::Serialize;

/// What `/health?detailed=true` and `/admin/health` report.
#[derive(Debug, Serialize)]
pub struct Details {
    /// `ok` or `error`.
    pub status: &'static str,
    /// This binary's version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// Failed checks, by name.
    pub failed: serde_json::Map<String, serde_json::Value>,
    /// Time for a trivial query round trip through the pool, ms.
    pub database_latency_ms: Option<f64>,
    /// Pool gauges.
    pub pool: super::report::PoolGauges,
    /// Applied migrations, in order.
    pub migrations_applied: Vec<String>,
    /// Migrations compiled into the binary.
    pub migrations_known: usize,
    /// Free and total bytes on the data directory's file system.
    pub disk: Option<Disk>,
    /// Resident memory and its high-water mark, bytes.
    pub memory: Option<Memory>,
    /// The data directory.
    pub data_path: String,
    /// `METRICS_ENABLED`.
    pub metrics_enabled: bool,
    /// The storage incident under way, if writes are failing now.
    pub storage_incident: Option<StorageIncident>,
    /// The last storage incident that ended.
    pub last_storage_incident: Option<StorageIncident>,
}

/// A storage incident (full, failing or read-only disk), open or past; kept by
/// `db::storage`.
#[derive(Debug, Clone, Serialize)]
pub struct StorageIncident {
    /// `full`, `io` or `read_only`.
    pub fault: &'static str,
    /// What happened and what to do.
    pub message: &'static str,
    /// Unix seconds of the first failure.
    pub since: i64,
    /// Unix seconds of the write that succeeded again, once it has.
    pub resolved_at: Option<i64>,
    /// Requests that failed during the incident.
    pub failures: u64,
}

/// Disk space.
#[derive(Debug, Serialize)]
pub struct Disk {
    /// Bytes available to starpunk.
    pub free_bytes: u64,
    /// Size of the file system.
    pub total_bytes: u64,
}

/// Memory.
#[derive(Debug, Serialize)]
pub struct Memory {
    /// Resident set size.
    pub rss_bytes: u64,
    /// High-water mark.
    pub peak_rss_bytes: u64,
    /// Heap memory SQLite holds (its page caches above all: up to `cache_size` per pooled
    /// connection, growing with the database until that cap).
    pub sqlite_bytes: u64,
}

/// Bytes of heap memory SQLite holds now, in the whole process.
pub fn sqlite_memory() -> u64 {
    // SAFETY: sqlite3_memory_used only reads SQLite's global memory statistics.
    let used = unsafe { rusqlite::ffi::sqlite3_memory_used() };
    u64::try_from(used).unwrap_or(0)
}

/// Creates, writes and removes a small file in the data directory.
pub fn probe_writable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(format!(
        ".health-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

/// Free and total space of the file system holding `path` (`statvfs`).
// The statvfs field types differ between platforms (u32 on some), hence the casts.
#[allow(clippy::unnecessary_cast)]
pub fn disk_space(path: &std::path::Path) -> Option<Disk> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory
    // of the right type; statvfs only writes into it and we read it only on success.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it initialised the struct.
    let stat = unsafe { stat.assume_init() };
    let block = stat.f_frsize as u64;
    Some(Disk {
        free_bytes: stat.f_bavail as u64 * block,
        total_bytes: stat.f_blocks as u64 * block,
    })
}
