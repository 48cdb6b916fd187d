//! Wall-clock time in the one unit the database and the monitoring store share.

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
