//! LTI 1.3 tool endpoints: `/lti/login` (OIDC login initiation), `/lti/launch` (the platform's id_token:
//! a resource link opens the assessment, a deep-linking request shows the teacher's picker),
//! `/lti/deep-link` (the pick, answered with the signed response auto-posted to the platform) and
//! `/lti/jwks` (the tool's public keys). Nothing here relies on cookies: the tool runs in a cross-site
//! frame, so login states and pending picks are one-time rows in the database.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web as aw};
use serde::{Deserialize, Serialize};

use super::embed::{self, Student};
use super::i18n::request_lang;
use super::{ApiError, AppState};
use crate::lti::deep_link::{self, Choice};
use crate::lti::jwks::{self, JwksCache};
use crate::lti::keys::ToolKeys;
use crate::lti::token::{self, Launch, MessageType, Rejection};
use crate::lti::{LtiError, http};
use crate::storage::AnyConnection;
use crate::storage::lti::{self as store, Link, PendingDeepLink, Platform};
use crate::storage::schools;

/// The tool's keys are read again after this long (another server may have added one).
const KEYS_MAX_AGE: Duration = Duration::from_secs(60);

/// What the LTI endpoints keep in memory: platforms' keys, the tool's keys, and the HTTP client.
pub struct LtiState {
    pub jwks: JwksCache,
    keys: Mutex<Option<(Instant, Arc<ToolKeys>)>>,
    agent: ureq::Agent,
}

impl Default for LtiState {
    fn default() -> Self {
        LtiState {
            jwks: JwksCache::default(),
            keys: Mutex::new(None),
            agent: http::agent(),
        }
    }
}

/// The web answer to an LTI failure: a malformed launch is 400, a failed check 401, each naming the check.
fn api_error(e: LtiError) -> ApiError {
    match e {
        LtiError::Rejected(r) if r.is_malformed() => ApiError::Invalid {
            code: r.code(),
            message: format!("LTI launch rejected: {r}"),
            field: None,
        },
        LtiError::Rejected(r) => ApiError::Unauthorized(format!("LTI launch rejected: {r}")),
        LtiError::Storage(e) => e.into(),
        LtiError::Key(e) => ApiError::Internal(e),
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        api_error(LtiError::Rejected(r))
    }
}

/// Runs `f` with a pooled connection on a blocking thread (it may also call platforms over HTTP).
async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
{
    let _slot = state
        .db_slots
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let db = state.db.clone();
    aw::block(move || {
        let mut conn = db.conn()?;
        f(&mut conn)
    })
    .await?
}

/// The tool's keys, cached for [`KEYS_MAX_AGE`]; the first call ever makes the key.
async fn tool_keys(state: &AppState) -> Result<Arc<ToolKeys>, ApiError> {
    if let Ok(cached) = state.lti.keys.lock()
        && let Some((at, keys)) = cached.as_ref()
        && at.elapsed() < KEYS_MAX_AGE
    {
        return Ok(keys.clone());
    }
    let keys = Arc::new(blocking(state, |c| ToolKeys::load_or_create(c).map_err(api_error)).await?);
    if let Ok(mut cached) = state.lti.keys.lock() {
        *cached = Some((Instant::now(), keys.clone()));
    }
    Ok(keys)
}

/// `scheme://host` of an http(s) URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (end > 0).then(|| &url[..url.len() - rest.len() + end])
}

/// The tool's launch URL: on the origin of the platform's target link URI when it gives one (the
/// address the platform knows the tool by), else on the origin this request came to.
fn launch_url(req: &HttpRequest, target_link_uri: Option<&str>) -> String {
    let origin = match target_link_uri.and_then(origin_of) {
        Some(o) => o.to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    format!("{origin}/lti/launch")
}

/// The parameters of a login initiation (query or form).
#[derive(Deserialize)]
pub struct LoginParams {
    pub iss: String,
    pub login_hint: String,
    pub target_link_uri: Option<String>,
    pub lti_message_hint: Option<String>,
    pub client_id: Option<String>,
    pub lti_deployment_id: Option<String>,
}

/// `GET /lti/login`.
pub async fn get_login(
    state: aw::Data<AppState>,
    req: HttpRequest,
    params: aw::Query<LoginParams>,
) -> Result<HttpResponse, ApiError> {
    login(&state, &req, params.into_inner()).await
}

/// `POST /lti/login`.
pub async fn post_login(
    state: aw::Data<AppState>,
    req: HttpRequest,
    body: aw::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::Invalid {
        code: "invalid_form",
        message: format!("the login initiation is not a valid form: {e}"),
        field: None,
    })?;
    login(&state, &req, params).await
}

/// The registration a login initiation names: by issuer, and by client id when the platform sends one
/// (it must when the issuer has several registrations).
fn login_platform(
    registrations: Vec<Platform>,
    params: &LoginParams,
) -> Result<Platform, ApiError> {
    let many = registrations.len() > 1;
    let found = match &params.client_id {
        Some(id) => registrations.into_iter().find(|p| &p.client_id == id),
        None if many => {
            return Err(ApiError::invalid(
                "client_id",
                "this issuer has several registrations: the login must name its client_id",
            ));
        }
        None => registrations.into_iter().next(),
    };
    let platform = found.ok_or_else(|| match &params.client_id {
        Some(id) => ApiError::from(Rejection::UnknownIssuer(format!(
            "{} with client id {id}",
            params.iss
        ))),
        None => ApiError::from(Rejection::UnknownIssuer(params.iss.clone())),
    })?;
    match &params.lti_deployment_id {
        Some(d) if *d != platform.deployment_id => {
            Err(Rejection::WrongDeployment(d.clone()).into())
        }
        _ => Ok(platform),
    }
}

/// OIDC login initiation: makes a one-time state and nonce and sends the browser to the platform's
/// authorisation endpoint, which posts the id_token to `/lti/launch`.
async fn login(
    state: &AppState,
    req: &HttpRequest,
    params: LoginParams,
) -> Result<HttpResponse, ApiError> {
    if params.iss.trim().is_empty() {
        return Err(ApiError::invalid("iss", "the login names no issuer (iss)"));
    }
    if params.login_hint.is_empty() {
        return Err(ApiError::invalid(
            "login_hint",
            "the login carries no login_hint",
        ));
    }
    let iss = params.iss.clone();
    let registrations = blocking(state, move |c| Ok(store::platforms_by_issuer(c, &iss)?)).await?;
    let platform = login_platform(registrations, &params)?;
    let platform_id = platform.id.clone();
    let target = params.target_link_uri.clone();
    let (lti_state, nonce) = blocking(state, move |c| {
        Ok(store::create_state(c, &platform_id, target.as_deref())?)
    })
    .await?;
    let redirect_uri = launch_url(req, params.target_link_uri.as_deref());
    let mut query: Vec<(&str, &str)> = vec![
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", &platform.client_id),
        ("redirect_uri", &redirect_uri),
        ("login_hint", &params.login_hint),
        ("state", &lti_state),
        ("nonce", &nonce),
    ];
    if let Some(hint) = &params.lti_message_hint {
        query.push(("lti_message_hint", hint));
    }
    let query =
        serde_urlencoded::to_string(&query).map_err(|e| ApiError::Internal(e.to_string()))?;
    let separator = if platform.auth_url.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, format!("{}{separator}{query}", platform.auth_url)))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish())
}

/// What the platform posts to the launch URL (or an OIDC error instead of a token).
#[derive(Deserialize)]
pub struct LaunchForm {
    pub id_token: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where a validated launch goes next.
enum Next {
    Open {
        school_id: String,
        student: Student,
        assessment_id: String,
        hook: Option<serde_json::Value>,
    },
    Pick {
        token: String,
        assessments: Vec<schools::Assessment>,
    },
}

/// `POST /lti/launch`: validates the id_token; a resource link opens its assessment for the student, a
/// deep-linking request shows the teacher the school's assessments to pick from.
pub async fn post_launch(
    state: aw::Data<AppState>,
    req: HttpRequest,
    body: aw::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Read by hand rather than with `web::Form`: an id_token with many claims outgrows the form
    // extractor's 16 KiB default, and a bad body should be a JSON error like every other.
    let form: LaunchForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| Rejection::Malformed(format!("the launch is not a form post: {e}")))?;
    if let Some(error) = form.error {
        return Err(ApiError::Invalid {
            code: "platform_error",
            message: format!(
                "the platform refused the login: {error}{}",
                form.error_description
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            field: None,
        });
    }
    let id_token = form.id_token.ok_or(Rejection::MissingToken)?;
    let lti_state = form.state.ok_or(Rejection::UnknownState)?;
    let token_text = id_token.clone();
    let (peeked, platform) = blocking(&state, move |c| {
        token::registration(c, &token_text).map_err(api_error)
    })
    .await?;
    let lti = state.lti.clone();
    let for_key = platform.clone();
    let key = aw::block(move || {
        token::platform_key(&lti.jwks, &for_key, &peeked, |url| {
            jwks::fetch(&lti.agent, url)
        })
    })
    .await??;
    let next = blocking(&state, move |c| {
        let launch = token::finish(c, &platform, &key, &id_token, &lti_state).map_err(api_error)?;
        route(c, launch)
    })
    .await?;
    match next {
        Next::Open {
            school_id,
            student,
            assessment_id,
            hook,
        } => {
            let path =
                embed::open_sitting(&state, &school_id, &student, &assessment_id, hook).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((LOCATION, path))
                .insert_header((CACHE_CONTROL, "no-store"))
                .finish())
        }
        Next::Pick { token, assessments } => render(
            &state,
            "lti_pick",
            &PickPage {
                lang: request_lang(&req).code(),
                token,
                assessments: assessments
                    .into_iter()
                    .map(|a| AssessmentView {
                        id: a.id,
                        title: a.title,
                    })
                    .collect(),
            },
        ),
    }
}

/// Decides what a validated launch opens (blocking).
fn route(c: &mut AnyConnection, launch: Launch) -> Result<Next, ApiError> {
    let platform = &launch.platform;
    match launch.message_type {
        MessageType::ResourceLink => {
            let link_id = launch
                .resource_link_id
                .clone()
                .ok_or(Rejection::MissingClaim("resource_link.id"))?;
            let assessment_id = match launch.custom.get("assessment_id").and_then(|v| v.as_str()) {
                Some(id) => id.to_owned(),
                None => store::link(c, &platform.id, &link_id)?
                    .map(|l| l.assessment_id)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "assessment_id",
                            "this course link opens no assessment yet: a teacher places it by deep \
                             linking, or gives the custom parameter assessment_id",
                        )
                    })?,
            };
            owned_assessment(c, platform, &assessment_id)?;
            store::save_link(
                c,
                &platform.id,
                &link_id,
                &Link {
                    assessment_id: assessment_id.clone(),
                    lineitem: launch.lineitem.clone(),
                },
            )?;
            let hook = launch.lineitem.as_ref().map(|lineitem| {
                serde_json::json!({
                    "platform_id": platform.id,
                    "lineitem": lineitem,
                    "user_sub": launch.sub,
                })
            });
            Ok(Next::Open {
                school_id: platform.school_id.clone(),
                student: Student {
                    external_id: format!("lti:{}:{}", platform.id, launch.sub),
                    name: launch.name.clone(),
                },
                assessment_id,
                hook,
            })
        }
        MessageType::DeepLinking => {
            if !launch.is_instructor() {
                return Err(ApiError::Forbidden(
                    "only a course's teachers may pick an assessment to place".into(),
                ));
            }
            let settings = launch
                .deep_linking
                .clone()
                .ok_or(Rejection::MissingClaim("deep_linking_settings"))?;
            if !settings.accept_types.iter().any(|t| t == "ltiResourceLink") {
                return Err(ApiError::invalid(
                    "accept_types",
                    "the platform does not accept LTI resource links here (accept_types)",
                ));
            }
            let token = store::create_deep_link(
                c,
                &PendingDeepLink {
                    platform_id: platform.id.clone(),
                    deployment_id: platform.deployment_id.clone(),
                    return_url: settings.return_url,
                    data: settings.data,
                },
            )?;
            let assessments = schools::assessments_of_school(c, &platform.school_id)?;
            Ok(Next::Pick { token, assessments })
        }
    }
}

/// The assessment, if it is the platform's school's; anything else is not found.
fn owned_assessment(
    c: &mut AnyConnection,
    platform: &Platform,
    assessment_id: &str,
) -> Result<schools::Assessment, ApiError> {
    match schools::get_assessment(c, assessment_id)? {
        Some(a) if a.school_id == platform.school_id => Ok(a),
        _ => Err(ApiError::NotFound),
    }
}

#[derive(Serialize)]
struct AssessmentView {
    id: String,
    title: String,
}

#[derive(Serialize)]
struct PickPage {
    lang: &'static str,
    token: String,
    assessments: Vec<AssessmentView>,
}

#[derive(Serialize)]
struct AutoPostPage {
    lang: &'static str,
    action: String,
    jwt: String,
}

/// Renders one of the LTI pages (standalone: they live inside the platform's frame).
fn render<T: Serialize>(
    state: &AppState,
    template: &str,
    page: &T,
) -> Result<HttpResponse, ApiError> {
    let html = state
        .templates
        .render(template, page)
        .map_err(|e| ApiError::Internal(format!("template {template}: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(html))
}

/// The teacher's pick.
#[derive(Deserialize)]
pub struct PickForm {
    pub token: String,
    pub assessment_id: String,
}

/// `POST /lti/deep-link`: takes the pending request once, signs the deep-linking response for the
/// picked assessment and sends it back to the platform through the browser.
pub async fn post_deep_link(
    state: aw::Data<AppState>,
    req: HttpRequest,
    form: aw::Form<PickForm>,
) -> Result<HttpResponse, ApiError> {
    let keys = tool_keys(&state).await?;
    let launch_url = launch_url(&req, None);
    let form = form.into_inner();
    let (return_url, jwt) = blocking(&state, move |c| {
        let pending = store::take_deep_link(c, &form.token)?.ok_or_else(|| {
            ApiError::Unauthorized(
                "unknown pick: this picker was used already or has expired; open it again from the course"
                    .into(),
            )
        })?;
        let platform = store::platform_by_id(c, &pending.platform_id)?.ok_or(ApiError::NotFound)?;
        let assessment = owned_assessment(c, &platform, &form.assessment_id)?;
        let key = keys.signing().map_err(api_error)?;
        let choice = Choice {
            assessment_id: assessment.id,
            title: assessment.title,
            launch_url,
        };
        let jwt = deep_link::response_jwt(key, &platform, &pending, &choice).map_err(api_error)?;
        Ok((pending.return_url, jwt))
    })
    .await?;
    render(
        &state,
        "lti_post",
        &AutoPostPage {
            lang: request_lang(&req).code(),
            action: return_url,
            jwt,
        },
    )
}

/// `GET /lti/jwks`: the tool's public keys, for platforms to verify its deep-linking responses and
/// client assertions.
pub async fn get_jwks(state: aw::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let keys = tool_keys(&state).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .json(keys.jwks()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_scheme_and_host() {
        assert_eq!(
            origin_of("https://tiku.example.com:8443/lti/launch?x=1"),
            Some("https://tiku.example.com:8443")
        );
        assert_eq!(origin_of("http://h"), Some("http://h"));
        assert_eq!(origin_of("ftp://h/x"), None);
        assert_eq!(origin_of("https:///x"), None);
    }
}
