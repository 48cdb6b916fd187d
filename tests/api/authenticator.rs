//! A software WebAuthn authenticator (a "virtual passkey") for the integration tests.
//!
//! [`Passkey`] plays the part of a platform authenticator *and* of the browser in front of it: it
//! takes the JSON options the server sends for `navigator.credentials.create()` / `.get()` (as
//! `webauthn_rp` serialises them, bare or wrapped in `{"publicKey": …}`) and returns the
//! WebAuthn Level 3 JSON a browser would POST back (`RegistrationResponseJSON`,
//! `AuthenticationResponseJSON`, what `PublicKeyCredential.toJSON()` gives):
//!
//! * the key is ECDSA P-256 with SHA-256 (COSE algorithm -7, "ES256");
//! * the credential is discoverable: the user handle of the registration options is kept and
//!   returned as `userHandle` on every assertion, so an empty `allowCredentials` works;
//! * attestation is `"none"`, AAGUID all zero, flags UP|UV|AT on registration and UP|UV on
//!   assertions, BE/BS (backup) clear, no authenticator extensions;
//! * `clientDataJSON` follows the "JSON-compatible serialisation" of WebAuthn Level 3
//!   (`type`, `challenge`, `origin`, `crossOrigin` in that order), so even the strict
//!   `webauthn_rp` parsers accept it;
//! * the CBOR of the attestation object and of the COSE key is written by the small encoder in
//!   [`cbor`], in CTAP2 canonical form (which `webauthn_rp` insists on).
//!
//! [`Tamper`] bends one answer for a negative test (wrong origin, RP ID, challenge, signature,
//! counter or a missing user verification).
//!
//! The self-tests at the bottom drive `webauthn_rp` directly the way the server does (no HTTP),
//! so they double as a worked example of the server side: start a ceremony, send the options,
//! parse the answer with the relaxed parser, look the ceremony up by challenge, verify, store the
//! credential as BLOBs with the crate's `bin` encoding, rebuild it and verify an assertion.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// COSE algorithm identifier of ES256 (ECDSA P-256 with SHA-256).
const ES256: i64 = -7;
/// Authenticator data flag: user present.
const FLAG_UP: u8 = 0x01;
/// Authenticator data flag: user verified.
const FLAG_UV: u8 = 0x04;
/// Authenticator data flag: attested credential data included.
const FLAG_AT: u8 = 0x40;
/// DER `SubjectPublicKeyInfo` of a P-256 key up to the uncompressed point (`04 ‖ x ‖ y` follows):
/// `SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes, 0 unused bits) }`.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// Length of a generated credential ID (webauthn_rp accepts 16–1023 bytes).
const CREDENTIAL_ID_LEN: usize = 32;

/// A software passkey: one P-256 key pair bound to one RP ID, with its credential ID, the user
/// handle it was registered for and a signature counter.
#[derive(Clone)]
pub struct Passkey {
    /// The private key; the public half is sent at registration.
    signing_key: SigningKey,
    /// The credential ID (random, [`CREDENTIAL_ID_LEN`] bytes).
    credential_id: Vec<u8>,
    /// `options.user.id` of the last registration (`None` before any).
    user_handle: Option<Vec<u8>>,
    /// The signature counter: reported as is on registration, incremented before each assertion.
    counter: u32,
    /// The RP ID this credential is scoped to (e.g. `"localhost"`).
    rp_id: String,
}

/// Knobs for negative tests, applied to the one [`Passkey::register_with`] or
/// [`Passkey::authenticate_with`] call they are passed to. `Tamper::default()` changes nothing.
#[derive(Clone, Debug)]
pub struct Tamper {
    /// Put this origin into `clientDataJSON` instead of the one passed to the call.
    pub origin: Option<String>,
    /// Hash this RP ID into the authenticator data instead of the passkey's own.
    pub rp_id: Option<String>,
    /// Put this (base64url) challenge into `clientDataJSON` instead of the options' one.
    pub challenge: Option<String>,
    /// Sign something else than `authData ‖ SHA-256(clientDataJSON)` (assertions only: attestation
    /// `"none"` carries no signature, so this has no effect on a registration).
    pub bad_signature: bool,
    /// Report this signature counter; the passkey's own counter is left as it was.
    pub counter: Option<u32>,
    /// Set the UV flag (default `true`); `false` simulates an authenticator that only tested
    /// user presence.
    pub user_verified: bool,
}

impl Default for Tamper {
    fn default() -> Tamper {
        Tamper {
            origin: None,
            rp_id: None,
            challenge: None,
            bad_signature: false,
            counter: None,
            user_verified: true,
        }
    }
}

impl Passkey {
    /// A new key for `rp_id`; counter starts at 0 unless set with [`Passkey::with_counter`].
    pub fn new(rp_id: &str) -> Passkey {
        let signing_key = loop {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).expect("OS random numbers");
            // Fails only for 0 or a scalar ≥ n (probability ~2⁻³²).
            if let Ok(key) = SigningKey::from_slice(&secret) {
                break key;
            }
        };
        let mut credential_id = vec![0u8; CREDENTIAL_ID_LEN];
        getrandom::fill(&mut credential_id).expect("OS random numbers");
        Passkey {
            signing_key,
            credential_id,
            user_handle: None,
            counter: 0,
            rp_id: rp_id.to_owned(),
        }
    }

    /// Sets the signature counter. A registration reports it as is; each assertion then reports
    /// `counter + 1`, `counter + 2`, … (the counter is incremented before it is used).
    pub fn with_counter(mut self, counter: u32) -> Passkey {
        self.counter = counter;
        self
    }

    /// The raw credential ID (the server sees it base64url-encoded as `id` / `rawId`).
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// The user handle (`options.user.id`, decoded) of the last registration, if any.
    pub fn user_handle(&self) -> Option<&[u8]> {
        self.user_handle.as_deref()
    }

    /// The current signature counter (the last value reported).
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// Answers `navigator.credentials.create()` options as webauthn_rp serialises them
    /// (`serde_json::to_value(&RegistrationClientState)`: a bare
    /// `PublicKeyCredentialCreationOptionsJSON`; `{"publicKey": …}` is unwrapped too), for
    /// `origin` (e.g. `"http://localhost:8000"`). Returns the `RegistrationResponseJSON` a browser
    /// would POST back: `id`, `rawId`, `type`, `response {clientDataJSON, attestationObject,
    /// authenticatorData, transports ["internal"], publicKey (SPKI DER), publicKeyAlgorithm -7}`,
    /// `clientExtensionResults` (`{}`, or `{"credProps": {"rk": true}}` when asked for) and
    /// `authenticatorAttachment "platform"`.
    ///
    /// Remembers `options.user.id` as the user handle for later assertions. `excludeCredentials`
    /// is *not* enforced (so a test can check the server's own duplicate detection).
    ///
    /// # Panics
    ///
    /// If the options lack `challenge` or `user.id`, name another RP ID than the passkey's, or
    /// do not allow ES256 in `pubKeyCredParams`: a browser would refuse those too.
    pub fn register(&mut self, options: &Value, origin: &str) -> Value {
        self.register_with(options, origin, &Tamper::default())
    }

    /// [`Passkey::register`], bent by `tamper`.
    pub fn register_with(&mut self, options: &Value, origin: &str, tamper: &Tamper) -> Value {
        let options = public_key_options(options);
        if let Some(rp_id) = options.pointer("/rp/id").and_then(Value::as_str) {
            assert_eq!(
                rp_id, self.rp_id,
                "registration options are for RP ID {rp_id:?}, this passkey is for {:?}",
                self.rp_id
            );
        }
        if let Some(params) = options.get("pubKeyCredParams").and_then(Value::as_array) {
            assert!(
                params.iter().any(|p| p["alg"].as_i64() == Some(ES256)),
                "pubKeyCredParams {params:?} do not allow ES256 (-7)"
            );
        }
        let user_id = options
            .pointer("/user/id")
            .and_then(Value::as_str)
            .expect("registration options without user.id");
        let user_handle = b64_decode(user_id);
        let challenge = tamper.challenge.clone().unwrap_or_else(|| {
            options["challenge"]
                .as_str()
                .expect("registration options without challenge")
                .to_owned()
        });
        let origin = tamper.origin.as_deref().unwrap_or(origin);
        let client_data_json = client_data_json("webauthn.create", &challenge, origin);

        let (x, y) = self.public_key_xy();
        let cose_key = cbor::encode(&cbor::Value::Map(vec![
            (cbor::Value::int(1), cbor::Value::int(2)),     // kty: EC2
            (cbor::Value::int(3), cbor::Value::int(ES256)), // alg: ES256
            (cbor::Value::int(-1), cbor::Value::int(1)),    // crv: P-256
            (cbor::Value::int(-2), cbor::Value::Bytes(x.to_vec())), // x
            (cbor::Value::int(-3), cbor::Value::Bytes(y.to_vec())), // y
        ]));
        let flags = FLAG_UP | FLAG_AT | if tamper.user_verified { FLAG_UV } else { 0 };
        let counter = tamper.counter.unwrap_or(self.counter);
        let mut auth_data = self.auth_data_header(tamper, flags, counter);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        let id_len = u16::try_from(self.credential_id.len()).expect("credential ID length");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose_key);
        let attestation_object = cbor::encode(&cbor::Value::Map(vec![
            (cbor::Value::text("fmt"), cbor::Value::text("none")),
            (cbor::Value::text("attStmt"), cbor::Value::Map(Vec::new())),
            (
                cbor::Value::text("authData"),
                cbor::Value::Bytes(auth_data.clone()),
            ),
        ]));
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.push(0x04);
        spki.extend_from_slice(&x);
        spki.extend_from_slice(&y);

        let wants_cred_props = options
            .pointer("/extensions/credProps")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let client_extension_results = if wants_cred_props {
            json!({ "credProps": { "rk": true } })
        } else {
            json!({})
        };

        self.user_handle = Some(user_handle);
        let id = b64(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data_json),
                "attestationObject": b64(&attestation_object),
                "authenticatorData": b64(&auth_data),
                "transports": ["internal"],
                "publicKey": b64(&spki),
                "publicKeyAlgorithm": ES256,
            },
            "clientExtensionResults": client_extension_results,
            "authenticatorAttachment": "platform",
        })
    }

    /// Answers `navigator.credentials.get()` options as webauthn_rp serialises them (bare
    /// `PublicKeyCredentialRequestOptionsJSON` or wrapped in `{"publicKey": …}`; discoverable:
    /// `allowCredentials` may be empty) for `origin`. Increments the counter, then returns the
    /// `AuthenticationResponseJSON`: `id`, `rawId`, `type`, `response {clientDataJSON,
    /// authenticatorData, signature (DER ECDSA over authData ‖ SHA-256(clientDataJSON)),
    /// userHandle}` (`userHandle` is `null` if the passkey was never registered),
    /// `clientExtensionResults {}`, `authenticatorAttachment "platform"`.
    ///
    /// # Panics
    ///
    /// If the options lack `challenge`, name another RP ID than the passkey's, or list
    /// `allowCredentials` without this credential: no browser would answer those with it.
    pub fn authenticate(&mut self, options: &Value, origin: &str) -> Value {
        self.authenticate_with(options, origin, &Tamper::default())
    }

    /// [`Passkey::authenticate`], bent by `tamper`.
    pub fn authenticate_with(&mut self, options: &Value, origin: &str, tamper: &Tamper) -> Value {
        let options = public_key_options(options);
        if let Some(rp_id) = options.get("rpId").and_then(Value::as_str) {
            assert_eq!(
                rp_id, self.rp_id,
                "request options are for RP ID {rp_id:?}, this passkey is for {:?}",
                self.rp_id
            );
        }
        let id = b64(&self.credential_id);
        if let Some(allowed) = options.get("allowCredentials").and_then(Value::as_array) {
            assert!(
                allowed.is_empty() || allowed.iter().any(|c| c["id"].as_str() == Some(&id)),
                "allowCredentials {allowed:?} does not list this passkey ({id})"
            );
        }
        let challenge = tamper.challenge.clone().unwrap_or_else(|| {
            options["challenge"]
                .as_str()
                .expect("request options without challenge")
                .to_owned()
        });
        let origin = tamper.origin.as_deref().unwrap_or(origin);
        let client_data_json = client_data_json("webauthn.get", &challenge, origin);

        let counter = match tamper.counter {
            Some(counter) => counter,
            None => {
                self.counter = self.counter.checked_add(1).expect("counter overflow");
                self.counter
            }
        };
        let flags = FLAG_UP | if tamper.user_verified { FLAG_UV } else { 0 };
        let auth_data = self.auth_data_header(tamper, flags, counter);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data_json));
        if tamper.bad_signature {
            signed.push(0);
        }
        let signature: Signature = self.signing_key.sign(&signed);

        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data_json),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }

    /// `rpIdHash ‖ flags ‖ signCount`, the 37 bytes every authenticator data starts with.
    fn auth_data_header(&self, tamper: &Tamper, flags: u8, counter: u32) -> Vec<u8> {
        let rp_id = tamper.rp_id.as_deref().unwrap_or(&self.rp_id);
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        data
    }

    /// The affine coordinates of the public key, 32 bytes each.
    fn public_key_xy(&self) -> ([u8; 32], [u8; 32]) {
        let point = self.signing_key.verifying_key().to_encoded_point(false);
        let x = point.x().expect("uncompressed point has x");
        let y = point.y().expect("uncompressed point has y");
        (
            x.as_slice().try_into().unwrap(),
            y.as_slice().try_into().unwrap(),
        )
    }
}

/// The `PublicKeyCredential*OptionsJSON` inside `options`: `options.publicKey` when the server
/// wrapped it like `CredentialCreationOptions`, else `options` itself (webauthn_rp's shape).
fn public_key_options(options: &Value) -> &Value {
    match options.get("publicKey") {
        Some(inner) if inner.is_object() => inner,
        _ => options,
    }
}

/// `clientDataJSON` in the WebAuthn Level 3 JSON-compatible serialisation (key order fixed).
fn client_data_json(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        Value::from(kind),
        Value::from(challenge),
        Value::from(origin)
    )
    .into_bytes()
}

/// base64url without padding, as WebAuthn JSON uses for every `ArrayBuffer`.
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; panics on anything else.
fn b64_decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64url {text:?}: {e}"))
}

/// The little CBOR encoder (RFC 8949) the attestation object and the COSE key need: unsigned and
/// negative integers, byte and text strings, maps. Lengths use the shortest form and map keys are
/// sorted by their encoding (shorter first, then bytewise): the CTAP2 canonical form.
pub mod cbor {
    /// A CBOR data item.
    #[derive(Clone, Debug)]
    pub enum Value {
        /// Major type 0: an unsigned integer.
        Unsigned(u64),
        /// Major type 1: the integer `-1 - n`.
        Negative(u64),
        /// Major type 2: a byte string.
        Bytes(Vec<u8>),
        /// Major type 3: a UTF-8 text string.
        Text(String),
        /// Major type 5: a map (pairs in any order; the encoder sorts them).
        Map(Vec<(Value, Value)>),
    }

    impl Value {
        /// An integer of either sign.
        pub fn int(n: i64) -> Value {
            if n >= 0 {
                Value::Unsigned(n.unsigned_abs())
            } else {
                Value::Negative((-1 - n).unsigned_abs())
            }
        }

        /// A text string.
        pub fn text(s: &str) -> Value {
            Value::Text(s.to_owned())
        }
    }

    /// The encoding of `value`.
    pub fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write(value, &mut out);
        out
    }

    /// Appends the encoding of `value` to `out`.
    fn write(value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Unsigned(n) => head(0, *n, out),
            Value::Negative(n) => head(1, *n, out),
            Value::Bytes(bytes) => {
                head(2, bytes.len() as u64, out);
                out.extend_from_slice(bytes);
            }
            Value::Text(text) => {
                head(3, text.len() as u64, out);
                out.extend_from_slice(text.as_bytes());
            }
            Value::Map(pairs) => {
                let mut entries: Vec<(Vec<u8>, Vec<u8>)> =
                    pairs.iter().map(|(k, v)| (encode(k), encode(v))).collect();
                entries.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
                assert!(
                    entries.windows(2).all(|w| w[0].0 != w[1].0),
                    "duplicate CBOR map key"
                );
                head(5, entries.len() as u64, out);
                for (key, value) in entries {
                    out.extend_from_slice(&key);
                    out.extend_from_slice(&value);
                }
            }
        }
    }

    /// The initial byte(s) of an item of `major` type with argument `n`, shortest form.
    fn head(major: u8, n: u64, out: &mut Vec<u8>) {
        let major = major << 5;
        if n < 24 {
            out.push(major | n as u8);
        } else if let Ok(n) = u8::try_from(n) {
            out.extend_from_slice(&[major | 24, n]);
        } else if let Ok(n) = u16::try_from(n) {
            out.push(major | 25);
            out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(n) {
            out.push(major | 26);
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(major | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Self-tests: the virtual passkey against `webauthn_rp` used exactly as the server uses it.
mod self_tests {
    use super::{Passkey, Tamper, b64, cbor};
    use serde_json::{Value, json};
    use std::collections::HashMap;
    use webauthn_rp::bin::{Decode, Encode};
    use webauthn_rp::request::auth::AuthenticationVerificationOptions;
    use webauthn_rp::request::register::{
        PublicKeyCredentialUserEntity, RegistrationVerificationOptions, USER_HANDLE_MAX_LEN,
        UserHandle64,
    };
    use webauthn_rp::request::{
        AsciiDomain, DomainOrigin, FixedCapHashSet, InsertResult, Port,
        PublicKeyCredentialDescriptor, RpId, Scheme,
    };
    use webauthn_rp::response::auth::error::AuthCeremonyErr;
    use webauthn_rp::response::register::error::RegCeremonyErr;
    use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
    use webauthn_rp::response::{AuthTransports, CollectedClientData, CredentialId, SentChallenge};
    use webauthn_rp::{
        AuthenticatedCredential, DiscoverableAuthentication64,
        DiscoverableAuthenticationServerState, DiscoverableCredentialRequestOptions,
        PublicKeyCredentialCreationOptions, Registration, RegistrationServerState,
    };

    /// Recognises the error a negative test expects.
    type IsExpected = fn(&RegCeremonyErr) -> bool;

    /// The origin the tests' browser is on.
    const ORIGIN: &str = "http://localhost:8000";

    /// The public key type `StaticState::decode` gives back: Ed25519, P-256 and P-384 keys
    /// compressed to fixed arrays, RSA moduli as `Vec<u8>`.
    type StoredPubKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

    /// A `webauthn_credentials` row as the server would keep it in SQLite.
    #[derive(Clone)]
    struct CredentialRow {
        /// `CredentialId::encode()`: the raw ID (16–1023 bytes). PRIMARY KEY.
        id: Vec<u8>,
        /// `UserHandle64::encode()`: 64 bytes.
        user_handle: [u8; USER_HANDLE_MAX_LEN],
        /// `StaticState::encode()`: public key and credProtect/hmac-secret outputs (~36 bytes
        /// for P-256). Written once.
        static_state: Vec<u8>,
        /// `DynamicState::encode()`: UV, backup, counter, attachment; rewritten after each
        /// successful sign-in that changed it.
        dynamic_state: [u8; 7],
        /// `AuthTransports::encode()`: a bit set, for `excludeCredentials`.
        transports: u8,
    }

    /// Why the server refused.
    #[derive(Debug)]
    enum ServerErr {
        /// The JSON did not parse.
        Json(String),
        /// No ceremony is waiting for this challenge (never started, used or expired).
        NoCeremony,
        /// The credential ID is unknown or belongs to another user handle.
        UnknownCredential,
        /// A credential with this ID is already registered.
        Duplicate,
        /// webauthn_rp refused the registration.
        Reg(RegCeremonyErr),
        /// webauthn_rp refused the assertion.
        Auth(AuthCeremonyErr),
    }

    /// A relying party written the way the server should be: ceremonies in
    /// `FixedCapHashSet`s keyed by challenge, credentials as rows of BLOBs.
    struct Server {
        /// The RP ID (`localhost` in the tests, the site's domain in production).
        rp_id: RpId,
        /// Origins accepted in `clientDataJSON`.
        origins: Vec<DomainOrigin<'static, 'static>>,
        /// Registrations started and not finished.
        registrations: FixedCapHashSet<RegistrationServerState<USER_HANDLE_MAX_LEN>>,
        /// Sign-ins started and not finished.
        sign_ins: FixedCapHashSet<DiscoverableAuthenticationServerState>,
        /// The `webauthn_credentials` table.
        credentials: HashMap<Vec<u8>, CredentialRow>,
    }

    impl Server {
        /// An RP for `localhost` accepting `http://localhost:8000`.
        fn localhost() -> Server {
            Server {
                rp_id: RpId::Domain(AsciiDomain::try_from("localhost".to_owned()).unwrap()),
                origins: vec![DomainOrigin {
                    scheme: Scheme::Other("http"),
                    host: "localhost",
                    port: Port::Val(8000),
                }],
                registrations: FixedCapHashSet::new(16),
                sign_ins: FixedCapHashSet::new(16),
                credentials: HashMap::new(),
            }
        }

        /// Starts registering a passkey for `user` (an existing user handle): resident key and
        /// user verification required, the user's credentials excluded. Returns the JSON for
        /// `navigator.credentials.create({publicKey: …})`.
        fn start_registration(&mut self, user: &UserHandle64) -> Value {
            let exclude: Vec<PublicKeyCredentialDescriptor<Vec<u8>>> = self
                .credentials
                .values()
                .filter(|row| row.user_handle == *user.as_ref())
                .map(|row| PublicKeyCredentialDescriptor {
                    id: CredentialId::<Vec<u8>>::decode(row.id.clone()).unwrap(),
                    transports: AuthTransports::decode(row.transports).unwrap(),
                })
                .collect();
            let entity = PublicKeyCredentialUserEntity {
                name: "owner".try_into().unwrap(),
                id: user,
                display_name: Some("Site owner".try_into().unwrap()),
            };
            let (state, client) =
                PublicKeyCredentialCreationOptions::passkey(&self.rp_id, entity, exclude)
                    .start_ceremony()
                    .unwrap();
            assert!(matches!(
                self.registrations.insert_or_replace_all_expired(state),
                InsertResult::Success
            ));
            serde_json::to_value(&client).unwrap()
        }

        /// Finishes a registration from the browser's `RegistrationResponseJSON`.
        fn finish_registration(&mut self, body: &Value) -> Result<(), ServerErr> {
            let bytes = serde_json::to_vec(body).unwrap();
            let registration = Registration::from_json_relaxed(&bytes)
                .map_err(|e| ServerErr::Json(e.to_string()))?;
            let challenge = registration
                .challenge_relaxed()
                .map_err(|e| ServerErr::Json(e.to_string()))?;
            let state = self
                .registrations
                .take(&challenge)
                .ok_or(ServerErr::NoCeremony)?;
            let options = RegistrationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
                allowed_origins: &self.origins,
                ..RegistrationVerificationOptions::default()
            };
            let credential = state
                .verify(&self.rp_id, &registration, &options)
                .map_err(ServerErr::Reg)?;
            let (id, transports, user_handle, static_state, dynamic_state, _metadata) =
                credential.into_parts();
            let id = id.encode().unwrap().to_vec();
            if self.credentials.contains_key(&id) {
                return Err(ServerErr::Duplicate);
            }
            let row = CredentialRow {
                id: id.clone(),
                user_handle: user_handle.encode().unwrap(),
                static_state: static_state.encode().unwrap(),
                dynamic_state: dynamic_state.encode().unwrap(),
                transports: transports.encode().unwrap(),
            };
            self.credentials.insert(id, row);
            Ok(())
        }

        /// Starts a discoverable sign-in; returns the JSON for `navigator.credentials.get`.
        fn start_sign_in(&mut self) -> Value {
            let (state, client) = DiscoverableCredentialRequestOptions::passkey(&self.rp_id)
                .start_ceremony()
                .unwrap();
            assert!(matches!(
                self.sign_ins.insert_or_replace_all_expired(state),
                InsertResult::Success
            ));
            serde_json::to_value(&client).unwrap()
        }

        /// Finishes a sign-in from the browser's `AuthenticationResponseJSON`; returns the user
        /// handle signed in.
        fn finish_sign_in(&mut self, body: &Value) -> Result<UserHandle64, ServerErr> {
            let bytes = serde_json::to_vec(body).unwrap();
            let authentication = DiscoverableAuthentication64::from_json_relaxed(&bytes)
                .map_err(|e| ServerErr::Json(e.to_string()))?;
            let challenge = authentication
                .challenge_relaxed()
                .map_err(|e| ServerErr::Json(e.to_string()))?;
            // Take the ceremony first: a failed attempt uses the challenge up too.
            let state = self
                .sign_ins
                .take(&challenge)
                .ok_or(ServerErr::NoCeremony)?;
            self.verify_sign_in(state, &authentication)
        }

        /// Looks the credential up, verifies and saves the new dynamic state.
        fn verify_sign_in(
            &mut self,
            state: DiscoverableAuthenticationServerState,
            authentication: &DiscoverableAuthentication64,
        ) -> Result<UserHandle64, ServerErr> {
            let row = self
                .credentials
                .get_mut(authentication.raw_id().as_ref())
                .ok_or(ServerErr::UnknownCredential)?;
            let user_handle = UserHandle64::decode(row.user_handle).unwrap();
            if user_handle != *authentication.response().user_handle() {
                return Err(ServerErr::UnknownCredential);
            }
            let static_state = StaticState::<StoredPubKey>::decode(&row.static_state).unwrap();
            let dynamic_state = DynamicState::decode(row.dynamic_state).unwrap();
            let mut credential = AuthenticatedCredential::new(
                authentication.raw_id(),
                &user_handle,
                static_state,
                dynamic_state,
            )
            .unwrap();
            let options = AuthenticationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
                allowed_origins: &self.origins,
                ..AuthenticationVerificationOptions::default()
            };
            let changed = state
                .verify(&self.rp_id, authentication, &mut credential, &options)
                .map_err(ServerErr::Auth)?;
            if changed {
                row.dynamic_state = credential.dynamic_state().encode().unwrap();
            }
            Ok(user_handle)
        }

        /// The stored dynamic state of `passkey`'s credential.
        fn dynamic_state(&self, passkey: &Passkey) -> DynamicState {
            DynamicState::decode(self.credentials[passkey.credential_id()].dynamic_state).unwrap()
        }
    }

    /// A server with `passkey` registered for a fresh user handle, which is returned.
    fn registered(passkey: &mut Passkey) -> (Server, UserHandle64) {
        let mut server = Server::localhost();
        let user = UserHandle64::new();
        let options = server.start_registration(&user);
        let response = passkey.register(&options, ORIGIN);
        server.finish_registration(&response).unwrap();
        (server, user)
    }

    #[test]
    fn cbor_encoder_writes_the_canonical_forms_webauthn_rp_expects() {
        assert_eq!(cbor::encode(&cbor::Value::int(0)), [0x00]);
        assert_eq!(cbor::encode(&cbor::Value::int(23)), [0x17]);
        assert_eq!(cbor::encode(&cbor::Value::int(24)), [0x18, 24]);
        assert_eq!(cbor::encode(&cbor::Value::int(-7)), [0x26]);
        assert_eq!(cbor::encode(&cbor::Value::int(-1)), [0x20]);
        assert_eq!(cbor::encode(&cbor::Value::int(500)), [0x19, 0x01, 0xf4]);
        assert_eq!(cbor::encode(&cbor::Value::text("fmt")), b"\x63fmt");
        assert_eq!(
            cbor::encode(&cbor::Value::Bytes(vec![7; 300]))[..3],
            [0x59, 0x01, 0x2c]
        );
        // Keys come out sorted however they go in: shorter encodings first, then bytewise.
        let map = cbor::Value::Map(vec![
            (cbor::Value::int(-3), cbor::Value::int(0)),
            (cbor::Value::text("a"), cbor::Value::int(0)),
            (cbor::Value::int(3), cbor::Value::int(0)),
            (cbor::Value::int(1), cbor::Value::int(0)),
            (cbor::Value::int(-1), cbor::Value::int(0)),
        ]);
        assert_eq!(
            cbor::encode(&map),
            [
                0xa5, 0x01, 0x00, 0x03, 0x00, 0x20, 0x00, 0x22, 0x00, 0x61, b'a', 0x00
            ]
        );
    }

    #[test]
    fn options_are_bare_json_and_the_passkey_also_takes_them_wrapped() {
        let mut server = Server::localhost();
        let user = UserHandle64::new();
        let options = server.start_registration(&user);
        // webauthn_rp sends PublicKeyCredentialCreationOptionsJSON itself, no "publicKey" wrapper
        // (the page passes it to PublicKeyCredential.parseCreationOptionsFromJSON, or decodes
        // challenge and user.id from base64url by hand).
        assert!(options.get("publicKey").is_none());
        assert_eq!(
            options["rp"],
            json!({ "name": "localhost", "id": "localhost" })
        );
        assert_eq!(options["user"]["id"], b64(user.as_ref()));
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["attestation"], "none");
        assert_eq!(options["timeout"], 300_000);
        let mut passkey = Passkey::new("localhost");
        let wrapped = json!({ "publicKey": options });
        let response = passkey.register(&wrapped, ORIGIN);
        server.finish_registration(&response).unwrap();
        assert_eq!(passkey.user_handle(), Some(user.as_ref()));

        let options = server.start_sign_in();
        assert!(options.get("publicKey").is_none());
        assert_eq!(options["rpId"], "localhost");
        assert_eq!(options["allowCredentials"], json!([]));
        assert_eq!(options["userVerification"], "required");
        let response = passkey.authenticate(&json!({ "publicKey": options }), ORIGIN);
        assert_eq!(server.finish_sign_in(&response).unwrap(), user);
    }

    #[test]
    fn registers_and_signs_in_with_the_counter_stored_and_updated() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, user) = registered(&mut passkey);
        let state = server.dynamic_state(&passkey);
        assert!(state.user_verified);
        assert_eq!(state.sign_count, 0);
        let row = &server.credentials[passkey.credential_id()];
        assert_eq!(row.user_handle, *user.as_ref());
        assert_eq!(row.id, passkey.credential_id());

        for expected in 1..=3 {
            let options = server.start_sign_in();
            let response = passkey.authenticate(&options, ORIGIN);
            assert_eq!(server.finish_sign_in(&response).unwrap(), user);
            assert_eq!(passkey.counter(), expected);
            assert_eq!(server.dynamic_state(&passkey).sign_count, expected);
        }
    }

    #[test]
    fn responses_pass_the_strict_parsers_too() {
        let mut server = Server::localhost();
        let user = UserHandle64::new();
        let mut passkey = Passkey::new("localhost");
        let options = server.start_registration(&user);
        let response = passkey.register(&options, ORIGIN);
        // The strict `Deserialize` (unknown keys refused, publicKey/authenticatorData/id all
        // cross-checked against the attestation object).
        let registration: Registration = serde_json::from_value(response.clone()).unwrap();
        CollectedClientData::from_client_data_json::<true>(
            registration.response().client_data_json(),
        )
        .unwrap();
        assert_eq!(
            registration.challenge().unwrap(),
            registration.challenge_relaxed().unwrap()
        );
        // `from_json_custom` is a different, flattened format of the crate's own; it does not
        // take RegistrationResponseJSON.
        let bytes = serde_json::to_vec(&response).unwrap();
        assert!(Registration::from_json_custom(&bytes).is_err());
        server.finish_registration(&response).unwrap();

        let options = server.start_sign_in();
        let response = passkey.authenticate(&options, ORIGIN);
        let authentication: DiscoverableAuthentication64 =
            serde_json::from_value(response.clone()).unwrap();
        CollectedClientData::from_client_data_json::<false>(
            authentication.response().client_data_json(),
        )
        .unwrap();
        assert!(
            DiscoverableAuthentication64::from_json_custom(&serde_json::to_vec(&response).unwrap())
                .is_err()
        );
        server.finish_sign_in(&response).unwrap();
    }

    #[test]
    fn an_https_site_with_default_origin_checks() {
        // Production: RP ID = the domain, origin https://domain. With no allowed_origins the crate
        // accepts exactly https://<rp id> (no port).
        let rp_id = RpId::Domain(AsciiDomain::try_from("example.com".to_owned()).unwrap());
        let user = UserHandle64::new();
        let (state, client) =
            PublicKeyCredentialCreationOptions::passkey(&rp_id, (&user).into(), Vec::new())
                .start_ceremony()
                .unwrap();
        let mut passkey = Passkey::new("example.com");
        let response = passkey.register(
            &serde_json::to_value(&client).unwrap(),
            "https://example.com",
        );
        let registration =
            Registration::from_json_relaxed(&serde_json::to_vec(&response).unwrap()).unwrap();
        state
            .verify(
                &rp_id,
                &registration,
                &RegistrationVerificationOptions::<&str, &str>::default(),
            )
            .unwrap();

        // Origins may also be plain strings, compared exactly (scheme, host and port, no slash);
        // DomainOrigin::try_from parses one into its parts.
        let configured = String::from("http://localhost:8000");
        let as_parsed = [DomainOrigin::try_from(configured.as_str()).unwrap()];
        assert!(matches!(as_parsed[0].scheme, Scheme::Other("http")));
        assert!(matches!(as_parsed[0].port, Port::Val(8000)));
        let mut server = Server::localhost();
        let options = server.start_registration(&user);
        let response = Passkey::new("localhost").register(&options, ORIGIN);
        let registration =
            Registration::from_json_relaxed(&serde_json::to_vec(&response).unwrap()).unwrap();
        let state = server
            .registrations
            .take(&sent_challenge(&options))
            .unwrap();
        state
            .verify(
                &server.rp_id,
                &registration,
                &RegistrationVerificationOptions::<&str, &str> {
                    allowed_origins: &[configured.as_str()],
                    ..RegistrationVerificationOptions::default()
                },
            )
            .unwrap();

        // The same with an explicit list: DomainOrigin::new is https, no port.
        let (state, client) =
            PublicKeyCredentialCreationOptions::passkey(&rp_id, (&user).into(), Vec::new())
                .start_ceremony()
                .unwrap();
        let response = passkey.register_with(
            &serde_json::to_value(&client).unwrap(),
            "https://example.com",
            &Tamper {
                origin: Some("https://example.com:8443".to_owned()),
                ..Tamper::default()
            },
        );
        let registration =
            Registration::from_json_relaxed(&serde_json::to_vec(&response).unwrap()).unwrap();
        let origins = [DomainOrigin::new("example.com")];
        let err = state
            .verify(
                &rp_id,
                &registration,
                &RegistrationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
                    allowed_origins: &origins,
                    ..RegistrationVerificationOptions::default()
                },
            )
            .unwrap_err();
        assert!(matches!(err, RegCeremonyErr::OriginMismatch), "{err:?}");
    }

    #[test]
    fn registration_with_a_wrong_origin_rp_id_or_challenge_or_without_uv_is_refused() {
        let cases: [(Tamper, IsExpected); 4] = [
            (
                Tamper {
                    origin: Some("http://localhost:8001".to_owned()),
                    ..Tamper::default()
                },
                |e| matches!(e, RegCeremonyErr::OriginMismatch),
            ),
            (
                Tamper {
                    rp_id: Some("evil.example".to_owned()),
                    ..Tamper::default()
                },
                |e| matches!(e, RegCeremonyErr::RpIdHashMismatch),
            ),
            (
                Tamper {
                    challenge: Some(b64(&[9; 16])),
                    ..Tamper::default()
                },
                |e| matches!(e, RegCeremonyErr::ChallengeMismatch),
            ),
            (
                Tamper {
                    user_verified: false,
                    ..Tamper::default()
                },
                |e| matches!(e, RegCeremonyErr::UserNotVerified),
            ),
        ];
        // Through the server's own path: looked up by the challenge, refused by webauthn_rp.
        let mut server = Server::localhost();
        let options = server.start_registration(&UserHandle64::new());
        let response = Passkey::new("localhost").register(&options, "http://127.0.0.1:8000");
        assert!(matches!(
            server.finish_registration(&response),
            Err(ServerErr::Reg(RegCeremonyErr::OriginMismatch))
        ));
        assert!(server.credentials.is_empty());
        for (tamper, expected) in cases {
            let mut server = Server::localhost();
            let user = UserHandle64::new();
            let options = server.start_registration(&user);
            let mut passkey = Passkey::new("localhost");
            let response = passkey.register_with(&options, ORIGIN, &tamper);
            let registration =
                Registration::from_json_relaxed(&serde_json::to_vec(&response).unwrap()).unwrap();
            // Verify against the real ceremony even when the challenge was tampered with
            // (a server looking it up by challenge would not even find one).
            let state = server
                .registrations
                .take(&sent_challenge(&options))
                .unwrap();
            let err = state
                .verify(
                    &server.rp_id,
                    &registration,
                    &RegistrationVerificationOptions::<DomainOrigin<'_, '_>, &str> {
                        allowed_origins: &server.origins,
                        ..RegistrationVerificationOptions::default()
                    },
                )
                .unwrap_err();
            assert!(expected(&err), "{tamper:?}: {err:?}");
        }
    }

    /// The challenge of the options JSON, as webauthn_rp keys its ceremonies: the base64url
    /// string is the 16 little-endian bytes of the `u128` in `SentChallenge`.
    fn sent_challenge(options: &Value) -> SentChallenge {
        let bytes = super::b64_decode(options["challenge"].as_str().unwrap());
        SentChallenge(u128::from_le_bytes(bytes.try_into().unwrap()))
    }

    /// Signs in with `tamper` against a fresh ceremony; the error webauthn_rp gives.
    fn refused_sign_in(server: &mut Server, passkey: &mut Passkey, tamper: &Tamper) -> ServerErr {
        let options = server.start_sign_in();
        let response = passkey.authenticate_with(&options, ORIGIN, tamper);
        let authentication = DiscoverableAuthentication64::from_json_relaxed(
            &serde_json::to_vec(&response).unwrap(),
        )
        .unwrap();
        // Fetch the ceremony by the challenge that was sent, so a tampered challenge still
        // reaches webauthn_rp's own check.
        let state = server.sign_ins.take(&sent_challenge(&options)).unwrap();
        server.verify_sign_in(state, &authentication).unwrap_err()
    }

    #[test]
    fn sign_in_from_a_wrong_origin_is_refused() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, _) = registered(&mut passkey);
        for origin in [
            "http://localhost:8001",
            "https://localhost:8000",
            "http://localhost",
            "http://evil.example:8000",
        ] {
            let tamper = Tamper {
                origin: Some(origin.to_owned()),
                ..Tamper::default()
            };
            let err = refused_sign_in(&mut server, &mut passkey, &tamper);
            assert!(
                matches!(err, ServerErr::Auth(AuthCeremonyErr::OriginMismatch)),
                "{origin}: {err:?}"
            );
        }
        assert_eq!(server.dynamic_state(&passkey).sign_count, 0);
    }

    #[test]
    fn sign_in_for_a_wrong_rp_id_is_refused() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, _) = registered(&mut passkey);
        let tamper = Tamper {
            rp_id: Some("evil.example".to_owned()),
            ..Tamper::default()
        };
        let err = refused_sign_in(&mut server, &mut passkey, &tamper);
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::RpIdHashMismatch)),
            "{err:?}"
        );
    }

    #[test]
    fn a_challenge_is_good_for_one_sign_in_only() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, _) = registered(&mut passkey);
        let options = server.start_sign_in();
        let response = passkey.authenticate(&options, ORIGIN);
        server.finish_sign_in(&response).unwrap();
        // Replayed as is: the ceremony was moved out of the set by the first attempt.
        assert!(matches!(
            server.finish_sign_in(&response),
            Err(ServerErr::NoCeremony)
        ));
        // Replayed against a fresh ceremony: webauthn_rp compares the challenges.
        let authentication = DiscoverableAuthentication64::from_json_relaxed(
            &serde_json::to_vec(&response).unwrap(),
        )
        .unwrap();
        let (state, _) = DiscoverableCredentialRequestOptions::passkey(&server.rp_id)
            .start_ceremony()
            .unwrap();
        let err = server.verify_sign_in(state, &authentication).unwrap_err();
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::ChallengeMismatch)),
            "{err:?}"
        );
        // A challenge the server never issued.
        let tamper = Tamper {
            challenge: Some(b64(&[7; 16])),
            ..Tamper::default()
        };
        let err = refused_sign_in(&mut server, &mut passkey, &tamper);
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::ChallengeMismatch)),
            "{err:?}"
        );
        let options = server.start_sign_in();
        let response = passkey.authenticate_with(&options, ORIGIN, &tamper);
        assert!(matches!(
            server.finish_sign_in(&response),
            Err(ServerErr::NoCeremony)
        ));
    }

    #[test]
    fn a_bad_signature_is_refused() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, _) = registered(&mut passkey);
        let tamper = Tamper {
            bad_signature: true,
            ..Tamper::default()
        };
        let err = refused_sign_in(&mut server, &mut passkey, &tamper);
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::AssertionSignature)),
            "{err:?}"
        );
        // Another key under the same credential ID and user handle (a forged passkey).
        let mut forged = Passkey::new("localhost");
        forged.credential_id = passkey.credential_id.clone();
        forged.user_handle = passkey.user_handle.clone();
        let err = refused_sign_in(&mut server, &mut forged, &Tamper::default());
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::AssertionSignature)),
            "{err:?}"
        );
    }

    #[test]
    fn a_counter_that_does_not_go_up_is_refused_once_it_is_positive() {
        let mut passkey = Passkey::new("localhost").with_counter(10);
        let (mut server, _) = registered(&mut passkey);
        assert_eq!(server.dynamic_state(&passkey).sign_count, 10);
        for counter in [3, 10] {
            let tamper = Tamper {
                counter: Some(counter),
                ..Tamper::default()
            };
            let err = refused_sign_in(&mut server, &mut passkey, &tamper);
            assert!(
                matches!(err, ServerErr::Auth(AuthCeremonyErr::SignatureCounter)),
                "{counter}: {err:?}"
            );
        }
        assert_eq!(server.dynamic_state(&passkey).sign_count, 10);
        // A clone used elsewhere moves ahead; the original then lags behind.
        let mut clone = passkey.clone();
        let options = server.start_sign_in();
        server
            .finish_sign_in(&clone.authenticate(&options, ORIGIN))
            .unwrap();
        let options = server.start_sign_in();
        server
            .finish_sign_in(&clone.authenticate(&options, ORIGIN))
            .unwrap();
        assert_eq!(server.dynamic_state(&passkey).sign_count, 12);
        let err = refused_sign_in(&mut server, &mut passkey, &Tamper::default());
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::SignatureCounter)),
            "{err:?}"
        );
        // A stored counter of 0 means "no counter": any value goes, 0 included.
        let mut zero = Passkey::new("localhost");
        let (mut server, _) = registered(&mut zero);
        let options = server.start_sign_in();
        let response = zero.authenticate_with(
            &options,
            ORIGIN,
            &Tamper {
                counter: Some(0),
                ..Tamper::default()
            },
        );
        server.finish_sign_in(&response).unwrap();
    }

    #[test]
    fn a_sign_in_without_user_verification_is_refused() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, _) = registered(&mut passkey);
        let tamper = Tamper {
            user_verified: false,
            ..Tamper::default()
        };
        let err = refused_sign_in(&mut server, &mut passkey, &tamper);
        assert!(
            matches!(err, ServerErr::Auth(AuthCeremonyErr::UserNotVerified)),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_credentials_and_duplicates_are_refused() {
        let mut passkey = Passkey::new("localhost");
        let (mut server, user) = registered(&mut passkey);
        // Not a response at all.
        assert!(matches!(
            server.finish_sign_in(&json!({ "id": "AAAA" })),
            Err(ServerErr::Json(message)) if !message.is_empty()
        ));
        assert!(matches!(
            server.finish_registration(&json!({ "response": {} })),
            Err(ServerErr::Json(message)) if !message.is_empty()
        ));
        // A passkey the server never saw.
        let mut stranger = Passkey::new("localhost");
        let options = server.start_registration(&UserHandle64::new());
        let _ = stranger.register(&options, ORIGIN);
        let options = server.start_sign_in();
        let response = stranger.authenticate(&options, ORIGIN);
        assert!(matches!(
            server.finish_sign_in(&response),
            Err(ServerErr::UnknownCredential)
        ));
        // The same passkey registered again: excluded in the options, refused by the server.
        let options = server.start_registration(&user);
        assert_eq!(
            options["excludeCredentials"][0]["id"],
            b64(passkey.credential_id())
        );
        let response = passkey.register(&options, ORIGIN);
        assert!(matches!(
            server.finish_registration(&response),
            Err(ServerErr::Duplicate)
        ));
    }

    #[test]
    fn ceremony_sets_can_be_shared_between_actix_workers() {
        fn shareable<T: Send + Sync>() {}
        shareable::<std::sync::Mutex<FixedCapHashSet<RegistrationServerState<USER_HANDLE_MAX_LEN>>>>(
        );
        shareable::<std::sync::Mutex<FixedCapHashSet<DiscoverableAuthenticationServerState>>>();
    }
}
