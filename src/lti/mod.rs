//! LTI 1.3 as a tool: the tool's keys ([`keys`]), checking a platform's id_token ([`token`], with the
//! platform keys cached by [`jwks`]), the deep-linking response ([`deep_link`]) and posting scores back with
//! the Assignment and Grade Services ([`ags`]). HTTP to platforms goes through [`http`]; routes are in
//! `web::lti`, rows in `storage::lti`.

pub mod ags;
pub mod deep_link;
pub mod http;
pub mod jwks;
pub mod keys;
pub mod token;

use crate::storage::StorageError;

/// LTI message and claim names (IMS LTI 1.3, Deep Linking 2.0, AGS 2.0).
pub mod claims {
    pub const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
    pub const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
    pub const DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
    pub const TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
    pub const RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
    pub const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
    pub const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";
    pub const DEEP_LINKING_SETTINGS: &str =
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    pub const CONTENT_ITEMS: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items";
    pub const DL_DATA: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/data";
    pub const AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    pub const SCORE_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
    pub const RESOURCE_LINK_REQUEST: &str = "LtiResourceLinkRequest";
    pub const DEEP_LINKING_REQUEST: &str = "LtiDeepLinkingRequest";
    pub const DEEP_LINKING_RESPONSE: &str = "LtiDeepLinkingResponse";
    pub const LTI_VERSION: &str = "1.3.0";
}

/// What can go wrong outside the checks of a launch (those are [`token::Rejection`]s).
#[derive(Debug, thiserror::Error)]
pub enum LtiError {
    #[error("LTI launch rejected: {0}")]
    Rejected(#[from] token::Rejection),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The tool's own key cannot be made, read or used.
    #[error("the tool's signing key: {0}")]
    Key(String),
}

/// Seconds since the Unix epoch, as JWTs count time.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
