//! The login half of the IndieAuth client: exchanging an authorization code (with its PKCE
//! verifier) for the identity it vouches for.

use serde::Deserialize;
use url::Url;

use super::client::{IndieAuth, canonical_me, read_limited, unreachable};
use super::model::IndieAuthError;

impl IndieAuth {
    /// Exchanges a login `code` at the authorization endpoint (with the PKCE verifier) and
    /// returns the canonical `me` it vouches for.
    pub async fn exchange_code(
        &self,
        endpoint: &Url,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<String, IndieAuthError> {
        #[derive(Deserialize)]
        struct Profile {
            me: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        self.check_scheme(endpoint)?;
        let response = self
            .http_post
            .post(endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|e| unreachable("the authorization endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the authorization endpoint {endpoint} answered {status}"
            )));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the authorization endpoint", endpoint, &e))?;
        let profile: Profile = serde_json::from_slice(&body).map_err(|_| {
            IndieAuthError::Invalid(format!(
                "the authorization endpoint answered {status} without valid JSON"
            ))
        })?;
        if !status.is_success() || profile.error.is_some() {
            let error = profile.error.unwrap_or_else(|| status.to_string());
            let detail = profile
                .error_description
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(IndieAuthError::Invalid(format!(
                "the authorization endpoint refused the login ({error}{detail})"
            )));
        }
        profile.me.as_deref().and_then(canonical_me).ok_or_else(|| {
            IndieAuthError::Invalid(
                "the authorization endpoint did not say who you are (no valid `me`)".into(),
            )
        })
    }
}
