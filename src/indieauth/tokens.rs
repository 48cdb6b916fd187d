//! Verifying Micropub access tokens at the owner's IndieAuth server, in the order of the
//! IndieAuth standard: the introspection endpoint (RFC 7662) first when the metadata names one,
//! authenticated with `INDIEAUTH_INTROSPECTION_TOKEN` or else with the token itself; the token
//! endpoint's legacy `GET` only when there is no introspection endpoint or it refuses the method
//! or our credential (405, 401, 403).
//!
//! Verdicts are cached for five minutes keyed by the token's SHA-256; neither the token nor the
//! credential is ever kept in the clear or logged. An endpoint that cannot be reached, or a
//! server that cannot be asked at all, is an error, never a pass.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{IndieAuth, canonical_me, lock, read_limited, unreachable};
use super::model::{Endpoints, IndieAuthError, TokenInfo, TokenVerdict, Verification};

/// How long a token verdict is reused.
pub const TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// Most token verdicts kept at once.
const TOKEN_CACHE_MAX: usize = 1024;

impl IndieAuth {
    /// Verifies an access token at the owner's introspection endpoint (or its token endpoint
    /// when there is none or it refuses us), answering from the cache when a verdict is under
    /// 5 minutes old.
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
        let verdict = match self.ask(admin_me, &endpoints, token).await? {
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

    /// Asks the owner's server about `token`: introspection first, the token endpoint's `GET`
    /// when there is no introspection endpoint or it refuses us.
    async fn ask(
        &self,
        admin_me: &Url,
        endpoints: &Endpoints,
        token: &str,
    ) -> Result<TokenAnswer, IndieAuthError> {
        let refusal = match &endpoints.introspection_endpoint {
            Some(url) => match self.introspect(url, token).await? {
                Step::Answered(answer) => return Ok(answer),
                Step::Refused(status) => Some(self.refusal(url, status)),
            },
            None => None,
        };
        let Some(endpoint) = &endpoints.token_endpoint else {
            return match refusal {
                Some(refusal) => {
                    refusal.conclude(&format!("{admin_me} advertises no token_endpoint"))
                }
                None => Err(IndieAuthError::Invalid(format!(
                    "{admin_me} advertises neither an introspection_endpoint nor a \
                     token_endpoint, so no token can be verified"
                ))),
            };
        };
        match self.token_get(endpoint, token).await? {
            Step::Answered(answer) => Ok(answer),
            Step::Refused(status) => {
                let refused = format!("the token endpoint {endpoint} refused GET ({status})");
                match refusal {
                    Some(refusal) => refusal.conclude(&refused),
                    None => Err(IndieAuthError::Invalid(format!(
                        "{refused} and {admin_me} advertises no introspection_endpoint, so no \
                         token can be verified"
                    ))),
                }
            }
        }
    }

    /// Why the introspection endpoint at `url` refused us with `status`; a refused configured
    /// credential is logged (by name, never its value), as the owner must fix it.
    fn refusal(&self, url: &Url, status: StatusCode) -> Refusal {
        let configured = self.introspection_credential.is_some();
        if configured && status != StatusCode::METHOD_NOT_ALLOWED {
            log::warn!(
                "the introspection endpoint {url} refused INDIEAUTH_INTROSPECTION_TOKEN \
                 ({status}): the credential is wrong or no longer valid; falling back to the \
                 token endpoint"
            );
        }
        Refusal {
            endpoint: url.clone(),
            status,
            configured,
        }
    }

    /// RFC 7662 introspection: `POST token=…`, authenticated with this site's credential
    /// (`INDIEAUTH_INTROSPECTION_TOKEN`) or, without one, with the token itself. A 401, 403 or
    /// 405 is a refusal to be asked this way, not a verdict on the token.
    async fn introspect(&self, endpoint: &Url, token: &str) -> Result<Step, IndieAuthError> {
        self.check_scheme(endpoint)?;
        let credential = self
            .introspection_credential
            .as_ref()
            .map_or(token, |c| c.expose());
        let response = self
            .http_post
            .post(endpoint.clone())
            .bearer_auth(credential)
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
        if matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
        ) {
            return Ok(Step::Refused(status));
        }
        if !status.is_success() {
            return Ok(Step::Answered(TokenAnswer::Inactive(format!(
                "the introspection endpoint answered {status}"
            ))));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the introspection endpoint", endpoint, &e))?;
        parse_token_answer(&body, true).map(Step::Answered)
    }

    /// The legacy `GET token_endpoint` with the token as Bearer. A 405 is a refused method;
    /// any other 4xx says the token is not accepted.
    async fn token_get(&self, endpoint: &Url, token: &str) -> Result<Step, IndieAuthError> {
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
        if status == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(Step::Refused(status));
        }
        if !status.is_success() {
            return Ok(Step::Answered(TokenAnswer::Inactive(
                "the token endpoint did not accept the token".into(),
            )));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the token endpoint", endpoint, &e))?;
        parse_token_answer(&body, false).map(Step::Answered)
    }
}

/// What asking one endpoint gave: an answer about the token, or a refusal to be asked so.
#[derive(Debug)]
enum Step {
    Answered(TokenAnswer),
    Refused(StatusCode),
}

/// The introspection endpoint refused us; what that means once the token endpoint could not
/// answer either.
#[derive(Debug)]
struct Refusal {
    endpoint: Url,
    status: StatusCode,
    /// Whether the credential refused was `INDIEAUTH_INTROSPECTION_TOKEN` (not the token).
    configured: bool,
}

impl Refusal {
    /// The outcome when the fallback failed too (`fallback` says how). Only a token refused as
    /// its own credential (401) is a verdict on the token; anything else means this site cannot
    /// ask, which is an error the owner must fix, never a pass.
    fn conclude(self, fallback: &str) -> Result<TokenAnswer, IndieAuthError> {
        let Refusal {
            endpoint,
            status,
            configured,
        } = self;
        let why = if status == StatusCode::METHOD_NOT_ALLOWED {
            format!("the introspection endpoint {endpoint} refused POST ({status})")
        } else if configured {
            format!(
                "the introspection endpoint {endpoint} refused this site's \
                 INDIEAUTH_INTROSPECTION_TOKEN ({status}): check it with your IndieAuth server"
            )
        } else if status == StatusCode::UNAUTHORIZED {
            return Ok(TokenAnswer::Inactive(format!(
                "the introspection endpoint did not accept the token ({status}) and {fallback}"
            )));
        } else {
            format!(
                "the introspection endpoint {endpoint} does not let a token introspect itself \
                 ({status}): set INDIEAUTH_INTROSPECTION_TOKEN to the credential your IndieAuth \
                 server gives this site"
            )
        };
        Err(IndieAuthError::Invalid(format!("{why}, and {fallback}")))
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

    fn refusal(status: StatusCode, configured: bool) -> Result<TokenAnswer, IndieAuthError> {
        Refusal {
            endpoint: Url::parse("https://auth.example/introspect").unwrap(),
            status,
            configured,
        }
        .conclude("the token endpoint refused GET")
    }

    #[test]
    fn only_a_token_refused_as_its_own_credential_is_a_verdict_on_it() {
        assert!(matches!(
            refusal(StatusCode::UNAUTHORIZED, false),
            Ok(TokenAnswer::Inactive(_))
        ));
        for (status, configured, says) in [
            (
                StatusCode::UNAUTHORIZED,
                true,
                "refused this site's INDIEAUTH_INTROSPECTION_TOKEN",
            ),
            (
                StatusCode::FORBIDDEN,
                true,
                "refused this site's INDIEAUTH_INTROSPECTION_TOKEN",
            ),
            (
                StatusCode::FORBIDDEN,
                false,
                "set INDIEAUTH_INTROSPECTION_TOKEN",
            ),
            (StatusCode::METHOD_NOT_ALLOWED, false, "refused POST"),
            (StatusCode::METHOD_NOT_ALLOWED, true, "refused POST"),
        ] {
            match refusal(status, configured) {
                Err(IndieAuthError::Invalid(why)) => {
                    assert!(why.contains(says), "{status} {configured}: {why}");
                    assert!(why.ends_with("the token endpoint refused GET"), "{why}");
                }
                other => panic!("{status} {configured}: {other:?}"),
            }
        }
    }
}
