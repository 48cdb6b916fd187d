//! All SQL lives here: the pool, migrations and one plain function per statement.
//!
//! Handlers never hold a connection across an `.await`: they call [`run`] once with a closure
//! that does its work on a pooled connection inside `web::block`.

pub mod auth_states;
pub mod credentials;
pub mod grants;
mod handle;
pub mod media;
pub mod migrate;
pub mod notes;
pub mod pool;
pub mod search;
pub mod sessions;
pub mod site;
pub mod storage;

pub use handle::{Db, run, run_quick};
pub use pool::{DbPool, build_pool, open};
