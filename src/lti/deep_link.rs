//! The deep-linking response (LTI Deep Linking 2.0): a JWT signed with the tool's key that places one
//! resource link to an assessment in the course, with a line item for its grades. The browser carries it
//! back to the platform in an auto-submitted form (field `JWT`).

use serde_json::{Value, json};

use super::claims as c;
use super::keys::ToolKey;
use super::{LtiError, unix_now};
use crate::storage::lti::{PendingDeepLink, Platform};

/// How long the platform may take to receive the response.
const LIFETIME: i64 = 600;

/// The points a placed link's line item is out of; each score sent later carries its own maximum, which
/// the platform scales to this.
pub const LINE_ITEM_MAXIMUM: f64 = 100.0;

/// The content picked: an assessment and where it launches.
#[derive(Clone, Debug)]
pub struct Choice {
    pub assessment_id: String,
    pub title: String,
    /// The tool's launch URL (`…/lti/launch`).
    pub launch_url: String,
}

/// The response's claims, issued at `now` (Unix seconds) with a fresh `nonce`.
pub fn response_claims(
    platform: &Platform,
    pending: &PendingDeepLink,
    choice: &Choice,
    nonce: &str,
    now: i64,
) -> Value {
    let mut claims = json!({
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + LIFETIME,
        "nonce": nonce,
        c::MESSAGE_TYPE: c::DEEP_LINKING_RESPONSE,
        c::VERSION: c::LTI_VERSION,
        c::DEPLOYMENT_ID: pending.deployment_id,
        c::CONTENT_ITEMS: [{
            "type": "ltiResourceLink",
            "title": choice.title,
            "url": choice.launch_url,
            "custom": {"assessment_id": choice.assessment_id},
            "lineItem": {
                "scoreMaximum": LINE_ITEM_MAXIMUM,
                "label": choice.title,
                "resourceId": choice.assessment_id,
            },
        }],
    });
    if let (Some(data), Some(map)) = (&pending.data, claims.as_object_mut()) {
        map.insert(c::DL_DATA.into(), Value::String(data.clone()));
    }
    claims
}

/// The signed response.
pub fn response_jwt(
    key: &ToolKey,
    platform: &Platform,
    pending: &PendingDeepLink,
    choice: &Choice,
) -> Result<String, LtiError> {
    let nonce = crate::auth::new_token();
    key.sign(&response_claims(
        platform,
        pending,
        choice,
        &nonce,
        unix_now(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_places_one_link_with_its_line_item_and_echoes_data() {
        let platform = Platform {
            id: "lti-1".into(),
            school_id: "s1".into(),
            issuer: "https://lms.example.edu".into(),
            client_id: "tiku-client".into(),
            deployment_id: "dep-1".into(),
            auth_url: String::new(),
            token_url: String::new(),
            jwks_url: String::new(),
        };
        let pending = PendingDeepLink {
            platform_id: "lti-1".into(),
            deployment_id: "dep-1".into(),
            return_url: "https://lms.example.edu/dl".into(),
            data: Some("opaque".into()),
        };
        let choice = Choice {
            assessment_id: "a-1".into(),
            title: "Mock A".into(),
            launch_url: "https://tiku.example.com/lti/launch".into(),
        };
        let v = response_claims(&platform, &pending, &choice, "n", 1000);
        assert_eq!(v["iss"], "tiku-client");
        assert_eq!(v["aud"], "https://lms.example.edu");
        assert_eq!(v["exp"], 1600);
        assert_eq!(v[c::MESSAGE_TYPE], "LtiDeepLinkingResponse");
        assert_eq!(v[c::DEPLOYMENT_ID], "dep-1");
        assert_eq!(v[c::DL_DATA], "opaque");
        let item = &v[c::CONTENT_ITEMS][0];
        assert_eq!(item["type"], "ltiResourceLink");
        assert_eq!(item["url"], "https://tiku.example.com/lti/launch");
        assert_eq!(item["custom"]["assessment_id"], "a-1");
        assert_eq!(item["lineItem"]["scoreMaximum"], 100.0);
        assert_eq!(item["lineItem"]["label"], "Mock A");
    }
}
