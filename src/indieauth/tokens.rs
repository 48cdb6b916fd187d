//! Verifying Micropub access tokens at the owner's token endpoint (or its introspection
//! endpoint). Verdicts are cached for five minutes keyed by the token's SHA-256; the token
//! itself is never kept or logged. An endpoint that cannot be reached is an error, never a pass.

use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{IndieAuth, canonical_me, lock, read_limited, unreachable};
use super::model::{IndieAuthError, TokenInfo, TokenVerdict, Verification};

/// How long a token verdict is reused.
pub const TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// Most token verdicts kept at once.
const TOKEN_CACHE_MAX: usize = 1024;

impl IndieAuth {
    /// Verifies an access token at the owner's token endpoint (or its introspection endpoint
    /// when a GET is refused), answering from the cache when a verdict is under 5 minutes old.
    pub async fn verify(&self, token: &str) -> Result<Verification, IndieAuthError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((at, verdict)) = lock(&self.tokens).get(&key)
            && at.elapsed() < TOKEN_TTL
        {
            return Ok(Verification {
                verdict: verdict.clone(),
                cached: true,
            });
        }
        let admin_me = self.admin_me.as_ref().ok_or(IndieAuthError::NoOwner)?;
        let endpoints = self.endpoints().await?;
        let Some(endpoint) = endpoints.token_endpoint.clone() else {
            return Err(IndieAuthError::Invalid(format!(
                "{admin_me} advertises no token_endpoint, so no token can be verified"
            )));
        };
        let verdict = match self.token_get(&endpoint, token).await? {
            Some(answer) => answer,
            None => match &endpoints.introspection_endpoint {
                Some(introspection) => self.introspect(introspection, token).await?,
                None => TokenAnswer::Inactive("the token endpoint did not accept the token".into()),
            },
        };
        let verdict = match verdict {
            TokenAnswer::Inactive(why) => TokenVerdict::Invalid(why),
            TokenAnswer::Active(info)
                if Some(info.me.as_str()) == canonical_me(admin_me.as_str()).as_deref() =>
            {
                TokenVerdict::Valid(info)
            }
            TokenAnswer::Active(info) => TokenVerdict::WrongOwner(info.me),
        };
        let mut cache = lock(&self.tokens);
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.retain(|_, (at, _)| at.elapsed() < TOKEN_TTL);
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), verdict.clone()));
        Ok(Verification {
            verdict,
            cached: false,
        })
    }

    /// `GET token_endpoint` with the token as Bearer. `None` when the endpoint refuses the
    /// method or the token without saying more (then introspection may be tried).
    async fn token_get(
        &self,
        endpoint: &Url,
        token: &str,
    ) -> Result<Option<TokenAnswer>, IndieAuthError> {
        self.check_scheme(endpoint)?;
        let response = self
            .http
            .get(endpoint.clone())
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable("the token endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the token endpoint {endpoint} answered {status}"
            )));
        }
        if !status.is_success() {
            return Ok(None);
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the token endpoint", endpoint, &e))?;
        // A success that is not a token answer (an HTML page) counts as a refused GET, so
        // introspection may still be tried.
        Ok(parse_token_answer(&body, false).ok())
    }

    /// RFC 7662 introspection: `POST token=…`.
    async fn introspect(&self, endpoint: &Url, token: &str) -> Result<TokenAnswer, IndieAuthError> {
        self.check_scheme(endpoint)?;
        let response = self
            .http_post
            .post(endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|e| unreachable("the introspection endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the introspection endpoint {endpoint} answered {status}"
            )));
        }
        if !status.is_success() {
            return Ok(TokenAnswer::Inactive(format!(
                "the introspection endpoint answered {status}"
            )));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the introspection endpoint", endpoint, &e))?;
        parse_token_answer(&body, true)
    }
}

/// What a token or introspection endpoint said.
#[derive(Debug)]
enum TokenAnswer {
    Active(TokenInfo),
    Inactive(String),
}

/// Reads `{"me", "scope", "client_id"}` (token endpoint) or the same with `"active"`
/// (introspection).
/// With `introspection`, `active` is required to be true (RFC 7662 §2.2).
fn parse_token_answer(body: &[u8], introspection: bool) -> Result<TokenAnswer, IndieAuthError> {
    #[derive(Deserialize)]
    struct Answer {
        active: Option<bool>,
        me: Option<String>,
        scope: Option<String>,
        client_id: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        IndieAuthError::Invalid("the token endpoint did not answer with valid JSON".into())
    })?;
    if answer.active == Some(false) || (introspection && answer.active.is_none()) {
        return Ok(TokenAnswer::Inactive("the token is not active".into()));
    }
    let Some(me) = answer.me.as_deref().and_then(canonical_me) else {
        return Ok(TokenAnswer::Inactive(
            "the token endpoint did not name the token's owner (`me`)".into(),
        ));
    };
    Ok(TokenAnswer::Active(TokenInfo {
        me,
        scopes: answer
            .scope
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect(),
        client_id: answer.client_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_answers_are_read() {
        let active = parse_token_answer(
            br#"{"me":"https://me.example","scope":"create  media","client_id":"c"}"#,
            false,
        )
        .unwrap();
        match active {
            TokenAnswer::Active(info) => {
                assert_eq!(info.me, "https://me.example/");
                assert_eq!(info.scopes, vec!["create", "media"]);
                assert!(info.has_scope("media") && !info.has_scope("update"));
            }
            TokenAnswer::Inactive(why) => panic!("inactive: {why}"),
        }
        assert!(matches!(
            parse_token_answer(br#"{"active":false}"#, true).unwrap(),
            TokenAnswer::Inactive(_)
        ));
        assert!(matches!(
            parse_token_answer(br#"{"me":"https://me.example/","scope":"create"}"#, true).unwrap(),
            TokenAnswer::Inactive(_)
        ));
        assert!(parse_token_answer(b"<html>", false).is_err());
    }
}
