//! Passkeys (WebAuthn) as the relying party, with the `webauthn_rp` crate doing the protocol:
//! CBOR/COSE parsing, the challenge, origin, RP ID, user-verification, signature and counter
//! checks.
//!
//! The RP ID is `SITE_URL`'s host; the only origin accepted is `SITE_URL`'s own (scheme, host
//! and port), so `http://localhost:PORT` works for local use as `https://` sites do. Ceremonies
//! wait server-side, in memory, keyed by their single-use challenge, for at most five minutes
//! (the crate's timeout); taking one (to verify it) removes it, whatever the outcome.
//!
//! What is stored per passkey (see `db::credentials`): the credential id, the user handle and
//! the crate's binary encodings of the static state (public key) and the dynamic state
//! (counter, flags).

use std::sync::Mutex;

use serde_json::Value;
use url::Url;
use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::AuthenticationVerificationOptions;
use webauthn_rp::request::register::{
    CredProtect, PublicKeyCredentialUserEntity, RegistrationVerificationOptions,
    USER_HANDLE_MAX_LEN, UserHandle64,
};
use webauthn_rp::request::{
    AsciiDomain, DomainOrigin, ExtensionInfo, FixedCapHashSet, InsertResult, Port,
    PublicKeyCredentialDescriptor, RpId, Scheme,
};
use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, CredentialId};
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication64, DiscoverableAuthenticationServerState,
    DiscoverableCredentialRequestOptions, PublicKeyCredentialCreationOptions, Registration,
    RegistrationServerState,
};

/// Ceremonies waiting at once, per kind.
const WAITING_MAX: usize = 64;

/// The public key type the static state decodes to.
type StoredPubKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

/// Why a passkey ceremony failed (shown to the owner; nothing secret in it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// `SITE_URL`'s host cannot be an RP ID.
    #[error("passkeys need SITE_URL to name a host (and browsers refuse IP addresses)")]
    NoRpId,
    /// The browser's answer did not parse.
    #[error("the browser's answer could not be read")]
    Malformed,
    /// No ceremony waits for this challenge: never started, already used or expired.
    #[error("this passkey request has expired or was already used; try again")]
    Expired,
    /// Too many ceremonies are waiting.
    #[error("too many passkey requests are waiting; try again in a few minutes")]
    Busy,
    /// The passkey is not registered here.
    #[error("this passkey is not registered on this site")]
    Unknown,
    /// The protocol checks failed (origin, RP ID, signature, counter, user verification …).
    #[error("the passkey's answer was refused ({0})")]
    Refused(String),
}

/// A passkey to store after a successful registration.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The user handle it was registered for.
    pub user_handle: Vec<u8>,
    /// Encoded public key.
    pub static_state: Vec<u8>,
    /// Encoded counter and flags.
    pub dynamic_state: Vec<u8>,
}

/// A stored passkey, as the sign-in check needs it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The user handle it was registered for.
    pub user_handle: Vec<u8>,
    /// Encoded public key.
    pub static_state: Vec<u8>,
    /// Encoded counter and flags.
    pub dynamic_state: Vec<u8>,
}

/// The relying party of one site.
#[derive(Debug)]
pub struct Passkeys {
    rp_id: Option<RpId>,
    scheme: String,
    host: String,
    port: Option<u16>,
    registrations: Mutex<FixedCapHashSet<RegistrationServerState<USER_HANDLE_MAX_LEN>>>,
    sign_ins: Mutex<FixedCapHashSet<DiscoverableAuthenticationServerState>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Passkeys {
    /// The relying party for a site at `site`.
    pub fn new(site: &Url) -> Self {
        let host = site.host_str().unwrap_or_default().to_owned();
        let rp_id = match site.host() {
            Some(url::Host::Domain(d)) => {
                AsciiDomain::try_from(d.to_owned()).ok().map(RpId::Domain)
            }
            _ => None,
        };
        Passkeys {
            rp_id,
            scheme: site.scheme().to_owned(),
            host,
            port: site.port(),
            registrations: Mutex::new(FixedCapHashSet::new(WAITING_MAX)),
            sign_ins: Mutex::new(FixedCapHashSet::new(WAITING_MAX)),
        }
    }

    fn rp_id(&self) -> Result<&RpId, PasskeyError> {
        self.rp_id.as_ref().ok_or(PasskeyError::NoRpId)
    }

    fn origin(&self) -> DomainOrigin<'_, '_> {
        DomainOrigin {
            scheme: if self.scheme == "https" {
                Scheme::Https
            } else {
                Scheme::Other(&self.scheme)
            },
            host: &self.host,
            port: self.port.map_or(Port::None, Port::Val),
        }
    }

    /// Starts registering a passkey for the owner (`user_handle` of the owner's other passkeys,
    /// or a new one): resident key and user verification required, `existing` credential ids
    /// excluded. Returns the options for `navigator.credentials.create`.
    pub fn start_registration(
        &self,
        user_handle: Option<&[u8]>,
        owner: &str,
        existing: &[Vec<u8>],
    ) -> Result<Value, PasskeyError> {
        let rp_id = self.rp_id()?;
        let user = match user_handle {
            Some(bytes) => {
                let array: [u8; USER_HANDLE_MAX_LEN] =
                    bytes.try_into().map_err(|_| PasskeyError::Malformed)?;
                UserHandle64::decode(array).map_err(|_| PasskeyError::Malformed)?
            }
            None => UserHandle64::new(),
        };
        let exclude: Vec<PublicKeyCredentialDescriptor<Vec<u8>>> = existing
            .iter()
            .filter_map(|id| {
                Some(PublicKeyCredentialDescriptor {
                    id: CredentialId::<Vec<u8>>::decode(id.clone()).ok()?,
                    transports: AuthTransports::decode(0).ok()?,
                })
            })
            .collect();
        let name = owner.chars().take(64).collect::<String>();
        let entity = PublicKeyCredentialUserEntity {
            name: name
                .as_str()
                .try_into()
                .map_err(|_| PasskeyError::Malformed)?,
            id: &user,
            display_name: None,
        };
        let mut options = PublicKeyCredentialCreationOptions::passkey(rp_id, entity, exclude);
        // Ask for credProtect but do not make the browser refuse authenticators without it
        // (Chromium then drops them, the virtual authenticator and many CTAP 2.0 keys among
        // them); user verification is required at every sign-in anyway.
        options.extensions.cred_protect =
            CredProtect::UserVerificationRequired(ExtensionInfo::AllowDontEnforceValue);
        let (state, client) = options
            .start_ceremony()
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let options = serde_json::to_value(&client).map_err(|_| PasskeyError::Malformed)?;
        match lock(&self.registrations).insert_or_replace_all_expired(state) {
            InsertResult::Success => Ok(options),
            _ => Err(PasskeyError::Busy),
        }
    }

    /// Checks the browser's `RegistrationResponseJSON` against its waiting ceremony.
    pub fn finish_registration(&self, response: &Value) -> Result<NewCredential, PasskeyError> {
        let rp_id = self.rp_id()?;
        let bytes = serde_json::to_vec(response).map_err(|_| PasskeyError::Malformed)?;
        let registration =
            Registration::from_json_relaxed(&bytes).map_err(|_| PasskeyError::Malformed)?;
        let challenge = registration
            .challenge_relaxed()
            .map_err(|_| PasskeyError::Malformed)?;
        let state = lock(&self.registrations)
            .take(&challenge)
            .ok_or(PasskeyError::Expired)?;
        let origins = [self.origin()];
        let options = RegistrationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
            allowed_origins: &origins,
            ..RegistrationVerificationOptions::default()
        };
        let credential = state
            .verify(rp_id, &registration, &options)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let (id, _transports, user_handle, static_state, dynamic_state, _metadata) =
            credential.into_parts();
        let encode_err = |_| PasskeyError::Malformed;
        Ok(NewCredential {
            credential_id: id.encode().map_err(encode_err)?.to_vec(),
            user_handle: user_handle.encode().map_err(encode_err)?.to_vec(),
            static_state: static_state.encode().map_err(encode_err)?,
            dynamic_state: dynamic_state.encode().map_err(encode_err)?.to_vec(),
        })
    }

    /// Starts a discoverable sign-in (user verification required); the options for
    /// `navigator.credentials.get`.
    pub fn start_sign_in(&self) -> Result<Value, PasskeyError> {
        let rp_id = self.rp_id()?;
        let (state, client) = DiscoverableCredentialRequestOptions::passkey(rp_id)
            .start_ceremony()
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let options = serde_json::to_value(&client).map_err(|_| PasskeyError::Malformed)?;
        match lock(&self.sign_ins).insert_or_replace_all_expired(state) {
            InsertResult::Success => Ok(options),
            _ => Err(PasskeyError::Busy),
        }
    }

    /// Reads a sign-in answer and takes its ceremony (single use, whatever follows). Returns
    /// the credential id to look up.
    pub fn take_sign_in(&self, response: &Value) -> Result<SignIn, PasskeyError> {
        let bytes = serde_json::to_vec(response).map_err(|_| PasskeyError::Malformed)?;
        let authentication = DiscoverableAuthentication64::from_json_relaxed(&bytes)
            .map_err(|_| PasskeyError::Malformed)?;
        let challenge = authentication
            .challenge_relaxed()
            .map_err(|_| PasskeyError::Malformed)?;
        let state = lock(&self.sign_ins)
            .take(&challenge)
            .ok_or(PasskeyError::Expired)?;
        Ok(SignIn {
            credential_id: authentication.raw_id().as_ref().to_vec(),
            authentication,
            state,
        })
    }

    /// Verifies a taken sign-in against the stored passkey; the new dynamic state to save.
    pub fn verify_sign_in(
        &self,
        sign_in: SignIn,
        stored: &Stored,
    ) -> Result<Vec<u8>, PasskeyError> {
        let rp_id = self.rp_id()?;
        let handle: [u8; USER_HANDLE_MAX_LEN] = stored
            .user_handle
            .as_slice()
            .try_into()
            .map_err(|_| PasskeyError::Unknown)?;
        let user_handle = UserHandle64::decode(handle).map_err(|_| PasskeyError::Unknown)?;
        if user_handle != *sign_in.authentication.response().user_handle() {
            return Err(PasskeyError::Unknown);
        }
        let static_state = StaticState::<StoredPubKey>::decode(stored.static_state.as_slice())
            .map_err(|_| PasskeyError::Unknown)?;
        let dynamic: [u8; 7] = stored
            .dynamic_state
            .as_slice()
            .try_into()
            .map_err(|_| PasskeyError::Unknown)?;
        let dynamic_state = DynamicState::decode(dynamic).map_err(|_| PasskeyError::Unknown)?;
        let mut credential = AuthenticatedCredential::new(
            sign_in.authentication.raw_id(),
            &user_handle,
            static_state,
            dynamic_state,
        )
        .map_err(|_| PasskeyError::Unknown)?;
        let origins = [self.origin()];
        let options = AuthenticationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
            allowed_origins: &origins,
            ..AuthenticationVerificationOptions::default()
        };
        sign_in
            .state
            .verify(rp_id, &sign_in.authentication, &mut credential, &options)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        credential
            .dynamic_state()
            .encode()
            .map(|d| d.to_vec())
            .map_err(|_| PasskeyError::Malformed)
    }
}

/// A sign-in answer whose ceremony has been taken, waiting for its stored passkey.
pub struct SignIn {
    /// The credential id the answer names.
    pub credential_id: Vec<u8>,
    authentication: DiscoverableAuthentication64,
    state: DiscoverableAuthenticationServerState,
}
