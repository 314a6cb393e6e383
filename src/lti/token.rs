//! Checking a platform's id_token (LTI 1.3 core, section 5.1.3): RS256 only, the key from the
//! platform's JWKS, the signature, issuer, audience (and `azp`), expiry and issue time with 60 s of
//! leeway, deployment, version, message type, then the nonce (once ever) and the login state (once, and
//! carrying the same nonce). Each failed check is its own [`Rejection`] saying which check failed.
//!
//! A launch is validated in three steps — [`registration`], [`platform_key`], [`finish`] — so that the
//! one that may wait on the platform's JWKS holds no database connection.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::claims as c;
use super::jwks::JwksCache;
use super::{LtiError, unix_now};
use crate::storage::AnyConnection;
use crate::storage::lti::{self as store, Platform};

/// Clock difference tolerated between a platform and this server, in seconds.
pub const LEEWAY: i64 = 60;

/// Why a launch is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("missing id_token: the launch carries no id_token")]
    MissingToken,
    #[error("malformed id_token: {0}")]
    Malformed(String),
    #[error("wrong algorithm: id_tokens must be signed with RS256, this one says {0}")]
    Algorithm(String),
    #[error("missing key id: the id_token's header names no key (kid)")]
    MissingKid,
    #[error("unknown issuer: no platform is registered with issuer {0}")]
    UnknownIssuer(String),
    #[error("unknown key: the platform's JWKS has no RS256 signing key {0}")]
    UnknownKey(String),
    #[error("platform keys unavailable: {0}")]
    Jwks(String),
    #[error("bad signature: the id_token does not verify against the platform's key")]
    BadSignature,
    #[error("wrong issuer: the id_token's iss is {0}")]
    WrongIssuer(String),
    #[error("wrong audience: the id_token's aud does not contain this tool's client id")]
    WrongAudience,
    #[error("wrong authorized party: azp must be this tool's client id")]
    WrongAzp,
    #[error("expired token: the id_token expired at {0} (Unix time)")]
    Expired(i64),
    #[error(
        "token from the future: the id_token is issued at {0} (Unix time); check the platform's clock"
    )]
    IssuedInFuture(i64),
    #[error("missing claim: the id_token has no {0}")]
    MissingClaim(&'static str),
    #[error("wrong deployment: deployment {0} is not the one registered for this platform")]
    WrongDeployment(String),
    #[error("wrong LTI version: {0} (this tool speaks 1.3.0)")]
    WrongVersion(String),
    #[error("unsupported message type: {0}")]
    WrongMessageType(String),
    #[error("replayed nonce: this id_token has been used already")]
    ReplayedNonce,
    #[error(
        "unknown state: the login state is unknown, used or expired; start again from the course"
    )]
    UnknownState,
    #[error("state mismatch: the login state was issued for another platform")]
    StateOfAnotherPlatform,
    #[error("nonce mismatch: the id_token's nonce is not the one sent with the login")]
    NonceMismatch,
    #[error("target link mismatch: the id_token targets {claimed}, the login named {sent}")]
    TargetMismatch { sent: String, claimed: String },
}

impl Rejection {
    /// A stable snake_case code for each check.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MissingToken => "missing_id_token",
            Rejection::Malformed(_) => "malformed_id_token",
            Rejection::Algorithm(_) => "wrong_algorithm",
            Rejection::MissingKid => "missing_kid",
            Rejection::UnknownIssuer(_) => "unknown_issuer",
            Rejection::UnknownKey(_) => "unknown_key",
            Rejection::Jwks(_) => "platform_keys_unavailable",
            Rejection::BadSignature => "bad_signature",
            Rejection::WrongIssuer(_) => "wrong_issuer",
            Rejection::WrongAudience => "wrong_audience",
            Rejection::WrongAzp => "wrong_azp",
            Rejection::Expired(_) => "expired_token",
            Rejection::IssuedInFuture(_) => "token_from_the_future",
            Rejection::MissingClaim(_) => "missing_claim",
            Rejection::WrongDeployment(_) => "wrong_deployment",
            Rejection::WrongVersion(_) => "wrong_version",
            Rejection::WrongMessageType(_) => "wrong_message_type",
            Rejection::ReplayedNonce => "replayed_nonce",
            Rejection::UnknownState => "unknown_state",
            Rejection::StateOfAnotherPlatform => "state_mismatch",
            Rejection::NonceMismatch => "nonce_mismatch",
            Rejection::TargetMismatch { .. } => "target_link_mismatch",
        }
    }

    /// True when the request is malformed (400) rather than unauthenticated (401).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Rejection::MissingToken
                | Rejection::Malformed(_)
                | Rejection::MissingClaim(_)
                | Rejection::WrongVersion(_)
                | Rejection::WrongMessageType(_)
        )
    }
}

/// The two kinds of launch this tool accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    ResourceLink,
    DeepLinking,
}

/// A deep-linking request's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeepLinkingSettings {
    pub return_url: String,
    pub accept_types: Vec<String>,
    /// Opaque; echoed back in the response.
    pub data: Option<String>,
}

/// A validated launch: what the rest of the tool may trust.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    pub platform: Platform,
    pub message_type: MessageType,
    /// The platform's stable id of the user.
    pub sub: String,
    /// The user's name as the platform gives it (the `sub` if it gives none).
    pub name: String,
    pub nonce: String,
    pub expires_at: i64,
    pub roles: Vec<String>,
    pub resource_link_id: Option<String>,
    pub custom: Map<String, Value>,
    /// The AGS line item for scores, when the platform grants the score scope.
    pub lineitem: Option<String>,
    pub deep_linking: Option<DeepLinkingSettings>,
    pub target_link_uri: Option<String>,
}

impl Launch {
    /// Whether the user teaches (may pick content by deep linking): an LIS instructor, administrator or
    /// content developer role, at context or institution level.
    pub fn is_instructor(&self) -> bool {
        self.roles.iter().any(|r| {
            let last = r.rsplit(['#', '/']).next().unwrap_or(r);
            ["Instructor", "Administrator", "ContentDeveloper"].contains(&last)
        })
    }
}

/// What is read from an id_token before its signature is checked: only to find the platform and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peeked {
    pub kid: String,
    pub iss: String,
    pub aud: Vec<String>,
}

/// Reads the header and the issuer and audience, unverified.
pub fn peek(id_token: &str) -> Result<Peeked, Rejection> {
    if id_token.trim().is_empty() {
        return Err(Rejection::MissingToken);
    }
    let header =
        jsonwebtoken::decode_header(id_token).map_err(|e| Rejection::Malformed(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(Rejection::Algorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(Rejection::MissingKid)?;
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(id_token)
        .map_err(|e| Rejection::Malformed(e.to_string()))?;
    let iss = data.claims["iss"]
        .as_str()
        .ok_or(Rejection::MissingClaim("iss"))?
        .to_owned();
    Ok(Peeked {
        kid,
        iss,
        aud: audience(&data.claims),
    })
}

/// `aud` as a list (a JWT may give one string or an array).
fn audience(claims: &Value) -> Vec<String> {
    match &claims["aud"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The registration the token is for: the issuer's one whose client id is in `aud`; failing that the
/// issuer's first, so the signature is still checked before the audience is refused.
pub fn choose<'a>(
    registrations: &'a [Platform],
    peeked: &Peeked,
) -> Result<&'a Platform, Rejection> {
    registrations
        .iter()
        .find(|p| peeked.aud.contains(&p.client_id))
        .or_else(|| registrations.first())
        .ok_or_else(|| Rejection::UnknownIssuer(peeked.iss.clone()))
}

/// Checks the RS256 signature and answers the claims (nothing else is checked here).
pub fn verify_signature(id_token: &str, key: &DecodingKey) -> Result<Value, Rejection> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    match jsonwebtoken::decode::<Value>(id_token, key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) => match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => Err(Rejection::BadSignature),
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                Err(Rejection::Algorithm("a key of another type".into()))
            }
            _ => Err(Rejection::Malformed(e.to_string())),
        },
    }
}

fn text<'a>(claims: &'a Value, name: &'static str) -> Result<&'a str, Rejection> {
    claims[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingClaim(name))
}

/// Checks every claim of a verified token against `platform` at time `now` (Unix seconds), except the
/// nonce's uniqueness and the login state, which need the database.
pub fn check_claims(claims: &Value, platform: &Platform, now: i64) -> Result<Launch, Rejection> {
    let iss = text(claims, "iss")?;
    if iss != platform.issuer {
        return Err(Rejection::WrongIssuer(iss.to_owned()));
    }
    let aud = audience(claims);
    if !aud.contains(&platform.client_id) {
        return Err(Rejection::WrongAudience);
    }
    match claims["azp"].as_str() {
        Some(azp) if azp != platform.client_id => return Err(Rejection::WrongAzp),
        None if aud.len() > 1 => return Err(Rejection::WrongAzp),
        _ => {}
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or(Rejection::MissingClaim("exp"))?;
    if now > exp + LEEWAY {
        return Err(Rejection::Expired(exp));
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or(Rejection::MissingClaim("iat"))?;
    if iat > now + LEEWAY {
        return Err(Rejection::IssuedInFuture(iat));
    }
    let nonce = text(claims, "nonce")?;
    let deployment = text(claims, c::DEPLOYMENT_ID)?;
    if deployment != platform.deployment_id {
        return Err(Rejection::WrongDeployment(deployment.to_owned()));
    }
    let version = text(claims, c::VERSION)?;
    if version != c::LTI_VERSION {
        return Err(Rejection::WrongVersion(version.to_owned()));
    }
    let message_type = match text(claims, c::MESSAGE_TYPE)? {
        c::RESOURCE_LINK_REQUEST => MessageType::ResourceLink,
        c::DEEP_LINKING_REQUEST => MessageType::DeepLinking,
        other => return Err(Rejection::WrongMessageType(other.to_owned())),
    };
    let sub = text(claims, "sub")?;
    let resource_link_id = claims[c::RESOURCE_LINK]["id"].as_str().map(str::to_owned);
    if message_type == MessageType::ResourceLink && resource_link_id.is_none() {
        return Err(Rejection::MissingClaim("resource_link.id"));
    }
    let deep_linking = match message_type {
        MessageType::DeepLinking => {
            let s = &claims[c::DEEP_LINKING_SETTINGS];
            Some(DeepLinkingSettings {
                return_url: s["deep_link_return_url"]
                    .as_str()
                    .filter(|u| !u.is_empty())
                    .ok_or(Rejection::MissingClaim(
                        "deep_linking_settings.deep_link_return_url",
                    ))?
                    .to_owned(),
                accept_types: strings(&s["accept_types"]),
                data: s["data"].as_str().map(str::to_owned),
            })
        }
        MessageType::ResourceLink => None,
    };
    let ags = &claims[c::AGS_ENDPOINT];
    let lineitem = ags["lineitem"]
        .as_str()
        .filter(|_| strings(&ags["scope"]).iter().any(|s| s == c::SCORE_SCOPE))
        .map(str::to_owned);
    Ok(Launch {
        platform: platform.clone(),
        message_type,
        sub: sub.to_owned(),
        name: display_name(claims).unwrap_or_else(|| sub.to_owned()),
        nonce: nonce.to_owned(),
        expires_at: exp,
        roles: strings(&claims[c::ROLES]),
        resource_link_id,
        custom: claims[c::CUSTOM].as_object().cloned().unwrap_or_default(),
        lineitem,
        deep_linking,
        target_link_uri: claims[c::TARGET_LINK_URI].as_str().map(str::to_owned),
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `name`, else given and family name, else none.
fn display_name(claims: &Value) -> Option<String> {
    if let Some(n) = claims["name"]
        .as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        return Some(n.to_owned());
    }
    let parts: Vec<&str> = ["given_name", "family_name"]
        .iter()
        .filter_map(|k| claims[*k].as_str().map(str::trim).filter(|s| !s.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The first step of validating a launch: reads the token's key id and finds the registration it is for
/// by issuer and audience (blocking; the database only).
pub fn registration(
    conn: &mut AnyConnection,
    id_token: &str,
) -> Result<(Peeked, Platform), LtiError> {
    let peeked = peek(id_token)?;
    let registrations = store::platforms_by_issuer(conn, &peeked.iss)?;
    let platform = choose(&registrations, &peeked)?.clone();
    Ok((peeked, platform))
}

/// The platform's key that signed the token, from the cache or fetched with `fetch` (blocking; HTTP
/// only, so no database connection is held while a platform answers).
pub fn platform_key(
    cache: &JwksCache,
    platform: &Platform,
    peeked: &Peeked,
    fetch: impl Fn(&str) -> Result<jsonwebtoken::jwk::JwkSet, String>,
) -> Result<DecodingKey, Rejection> {
    cache.key(platform, &peeked.kid, fetch)
}

/// The last step: verifies the signature with `key`, checks the claims, spends the nonce, then takes the
/// login `state`, which must be this platform's and carry the same nonce (blocking; the database only).
pub fn finish(
    conn: &mut AnyConnection,
    platform: &Platform,
    key: &DecodingKey,
    id_token: &str,
    state: &str,
) -> Result<Launch, LtiError> {
    let claims = verify_signature(id_token, key)?;
    let launch = check_claims(&claims, platform, unix_now())?;
    let expires = OffsetDateTime::from_unix_timestamp(launch.expires_at + LEEWAY)
        .map_err(|_| Rejection::Expired(launch.expires_at))?;
    let expires = time::PrimitiveDateTime::new(expires.date(), expires.time());
    if !store::use_nonce(conn, &platform.id, &launch.nonce, expires)? {
        return Err(Rejection::ReplayedNonce.into());
    }
    let taken = store::take_state(conn, state)?.ok_or(Rejection::UnknownState)?;
    if taken.platform_id != platform.id {
        return Err(Rejection::StateOfAnotherPlatform.into());
    }
    if taken.nonce != launch.nonce {
        return Err(Rejection::NonceMismatch.into());
    }
    if let (Some(sent), Some(claimed)) = (&taken.target_link_uri, &launch.target_link_uri)
        && sent != claimed
    {
        return Err(Rejection::TargetMismatch {
            sent: sent.clone(),
            claimed: claimed.clone(),
        }
        .into());
    }
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn platform() -> Platform {
        Platform {
            id: "lti-1".into(),
            school_id: "s1".into(),
            issuer: "https://lms.example.edu".into(),
            client_id: "tiku-client".into(),
            deployment_id: "dep-1".into(),
            auth_url: "https://lms.example.edu/auth".into(),
            token_url: "https://lms.example.edu/token".into(),
            jwks_url: "https://lms.example.edu/jwks".into(),
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({
            "iss": "https://lms.example.edu",
            "aud": "tiku-client",
            "sub": "user-7",
            "exp": NOW + 300,
            "iat": NOW,
            "nonce": "n-1",
            "name": "Li Hua",
            c::DEPLOYMENT_ID: "dep-1",
            c::VERSION: "1.3.0",
            c::MESSAGE_TYPE: "LtiResourceLinkRequest",
            c::RESOURCE_LINK: {"id": "rl-1"},
            c::CUSTOM: {"assessment_id": "a-1"},
            c::AGS_ENDPOINT: {"scope": [c::SCORE_SCOPE], "lineitem": "https://lms.example.edu/li/3"},
        })
    }

    fn check(v: &Value) -> Result<Launch, Rejection> {
        check_claims(v, &platform(), NOW)
    }

    #[test]
    fn a_good_launch_yields_its_claims() {
        let l = check(&claims()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.message_type, MessageType::ResourceLink);
        assert_eq!(l.sub, "user-7");
        assert_eq!(l.name, "Li Hua");
        assert_eq!(l.resource_link_id.as_deref(), Some("rl-1"));
        assert_eq!(l.custom["assessment_id"], "a-1");
        assert_eq!(l.lineitem.as_deref(), Some("https://lms.example.edu/li/3"));
    }

    #[test]
    fn each_wrong_claim_is_its_own_rejection() {
        let with = |k: &str, v: Value| {
            let mut c = claims();
            c[k] = v;
            check(&c).err()
        };
        assert_eq!(with("aud", json!("other")), Some(Rejection::WrongAudience));
        assert_eq!(
            with("aud", json!(["other", "tiku-client"])),
            Some(Rejection::WrongAzp)
        );
        let mut c = claims();
        c["aud"] = json!(["other", "tiku-client"]);
        c["azp"] = json!("tiku-client");
        assert!(check(&c).is_ok());
        assert_eq!(
            with("exp", json!(NOW - 61)),
            Some(Rejection::Expired(NOW - 61))
        );
        assert!(with("exp", json!(NOW - 59)).is_none(), "within the leeway");
        assert_eq!(
            with("iat", json!(NOW + 120)),
            Some(Rejection::IssuedInFuture(NOW + 120))
        );
        assert_eq!(
            with(c::DEPLOYMENT_ID, json!("dep-2")),
            Some(Rejection::WrongDeployment("dep-2".into()))
        );
        assert_eq!(
            with(c::VERSION, json!("1.1")),
            Some(Rejection::WrongVersion("1.1".into()))
        );
        assert_eq!(
            with(c::MESSAGE_TYPE, json!("LtiSubmissionReviewRequest")),
            Some(Rejection::WrongMessageType(
                "LtiSubmissionReviewRequest".into()
            ))
        );
        assert_eq!(
            with("iss", json!("https://evil.example")),
            Some(Rejection::WrongIssuer("https://evil.example".into()))
        );
        assert_eq!(
            with("nonce", Value::Null),
            Some(Rejection::MissingClaim("nonce"))
        );
    }

    #[test]
    fn scores_go_back_only_with_the_score_scope() {
        let mut c = claims();
        c[c::AGS_ENDPOINT]["scope"] =
            json!(["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"]);
        assert_eq!(check(&c).map(|l| l.lineitem), Ok(None));
    }

    #[test]
    fn deep_linking_needs_a_return_url() {
        let mut c = claims();
        c[c::MESSAGE_TYPE] = json!("LtiDeepLinkingRequest");
        assert_eq!(
            check(&c).err(),
            Some(Rejection::MissingClaim(
                "deep_linking_settings.deep_link_return_url"
            ))
        );
        c[c::DEEP_LINKING_SETTINGS] = json!({"deep_link_return_url": "https://lms/x", "accept_types": ["ltiResourceLink"], "data": "d"});
        c[c::ROLES] = json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]);
        let l = check(&c).unwrap_or_else(|e| panic!("{e}"));
        assert!(l.is_instructor());
        assert_eq!(l.deep_linking.map(|d| d.data), Some(Some("d".into())));
    }

    #[test]
    fn the_platform_is_chosen_by_audience() {
        let mut second = platform();
        second.id = "lti-2".into();
        second.client_id = "second".into();
        let regs = [platform(), second];
        let peeked = Peeked {
            kid: "k".into(),
            iss: "https://lms.example.edu".into(),
            aud: vec!["second".into()],
        };
        assert_eq!(choose(&regs, &peeked).map(|p| p.id.as_str()), Ok("lti-2"));
        assert_eq!(
            choose(&[], &peeked).err(),
            Some(Rejection::UnknownIssuer("https://lms.example.edu".into()))
        );
    }
}
