//! starpunk as its own IndieAuth server, seen from the resource server's side: the tokens it
//! issued are verified with one local lookup, no HTTP call. Present (as `web::Data<OwnServer>`)
//! only when the owner's identity is this site.

use url::Url;

use super::model::TokenInfo;
use crate::clock;
use crate::db::{self, Db, grants};
use crate::error::AppError;
use crate::secret::hash_token;

/// The site's own authorization server: who it vouches for and how long its tokens live.
#[derive(Debug, Clone)]
pub struct OwnServer {
    /// The database holding grants and tokens.
    pub db: Db,
    /// `SITE_URL`: the issuer and the one `me` it vouches for.
    pub issuer: Url,
    /// Seconds an access token lives after its last use.
    pub token_lifetime: i64,
}

impl OwnServer {
    /// The endpoint at `path` under the site.
    pub fn endpoint(&self, path: &str) -> String {
        self.issuer
            .join(path)
            .map_or_else(|_| format!("{}{path}", self.issuer), |u| u.to_string())
    }

    /// The live token behind `token`, if it is one of this server's (access or refresh). With
    /// `used`, an access token counts as used (its expiry slides, the app's last use is noted).
    pub async fn lookup(
        &self,
        token: &str,
        used: bool,
    ) -> Result<Option<grants::LiveToken>, AppError> {
        let hash = hash_token(token);
        let lifetime = used.then_some(self.token_lifetime);
        let now = clock::unix_now();
        db::run(&self.db, move |conn| {
            Ok(grants::live_token(conn, &hash, lifetime, now)?)
        })
        .await
    }

    /// The access token behind `token`, as Micropub sees it; `None` when unknown, expired,
    /// revoked or a refresh token.
    pub async fn verify(&self, token: &str) -> Result<Option<TokenInfo>, AppError> {
        Ok(self
            .lookup(token, true)
            .await?
            .filter(|t| t.kind == "access")
            .map(|t| TokenInfo {
                me: t.me,
                scopes: t
                    .scope
                    .split_ascii_whitespace()
                    .map(str::to_owned)
                    .collect(),
                client_id: Some(t.client_id),
            }))
    }
}
