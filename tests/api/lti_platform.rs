//! A test LTI 1.3 platform: its own RSA keys (made once per test process), and a small HTTP server on a
//! random port with the platform's JWKS, a token endpoint that checks the tool's client assertion against
//! the tool's `/lti/jwks`, and line item score endpoints that record what they receive.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use super::helpers::TestApp;

/// The platform's key id.
pub const KID: &str = "platform-key-1";
pub const CLIENT_ID: &str = "tiku-test-client";
pub const DEPLOYMENT_ID: &str = "deployment-1";

/// A private key as PEM and its public JWK.
struct Key {
    pem: String,
    n: String,
    e: String,
}

fn make_key() -> Key {
    let mut rng = rsa::rand_core::OsRng;
    let private =
        RsaPrivateKey::new(&mut rng, 2048).unwrap_or_else(|e| panic!("generating a key: {e}"));
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    Key {
        pem,
        n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
    }
}

/// The platform's signing key, and another one (for forged tokens); each made once per process.
fn keys() -> &'static (Key, Key) {
    static KEYS: OnceLock<(Key, Key)> = OnceLock::new();
    KEYS.get_or_init(|| (make_key(), make_key()))
}

/// A score the platform received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The path it was posted to, with its query.
    pub path: String,
    pub content_type: String,
    /// Whether the bearer token was one the token endpoint issued.
    pub token_valid: bool,
    pub body: Value,
}

/// What the platform's endpoints share.
#[derive(Default)]
struct Shared {
    /// The tool's JWKS URL, to check client assertions.
    tool_jwks: Mutex<String>,
    token_url: Mutex<String>,
    issued: Mutex<HashSet<String>>,
    scores: Mutex<Vec<Received>>,
    /// Every assertion's claims, or why it was refused.
    assertions: Mutex<Vec<Result<Value, String>>>,
}

/// A running test platform registered with one app.
pub struct TestPlatform {
    pub url: String,
    pub issuer: String,
    /// The registration's id in the tool.
    pub id: String,
    shared: Arc<Shared>,
}

impl TestPlatform {
    /// Starts the platform's server and registers it with `app` for `school_id`.
    pub async fn start(app: &TestApp, school_id: &str) -> TestPlatform {
        let shared = Arc::new(Shared::default());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("binding: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let url = format!("http://127.0.0.1:{port}");
        *lock(&shared.tool_jwks) = format!("{}/lti/jwks", app.address);
        *lock(&shared.token_url) = format!("{url}/token");
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
                .route("/lineitems/{id}/scores", web::post().to(score))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap_or_else(|e| panic!("{e}"))
        .run();
        actix_web::rt::spawn(server);
        let issuer = url.clone();
        let id = register(app, &url, CLIENT_ID, school_id);
        TestPlatform {
            url,
            issuer,
            id,
            shared,
        }
    }

    /// A line item URL of this platform.
    pub fn lineitem(&self, id: u32) -> String {
        format!("{}/lineitems/{id}", self.url)
    }

    /// An id_token with `claims` signed with the platform's key.
    pub fn sign(&self, claims: &Value) -> String {
        sign_with(&keys().0, KID, claims)
    }

    /// An id_token signed with another key that claims to be the platform's.
    pub fn forge(&self, claims: &Value) -> String {
        sign_with(&keys().1, KID, claims)
    }

    /// An id_token signed with the platform's key but naming another key id.
    pub fn sign_naming(&self, kid: &str, claims: &Value) -> String {
        sign_with(&keys().0, kid, claims)
    }

    /// An id_token "signed" with HMAC, keyed with the platform's public modulus (the algorithm
    /// confusion attack).
    pub fn sign_hs256(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.to_owned());
        let key = EncodingKey::from_secret(keys().0.n.as_bytes());
        jsonwebtoken::encode(&header, claims, &key).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A resource-link launch's claims for `nonce`, valid now.
    pub fn launch_claims(&self, nonce: &str, sub: &str) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        json!({
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Wang Fang",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "link-1", "title": "Mock"},
            "https://purl.imsglobal.org/spec/lti/claim/roles": [
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
            ],
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"assessment_id": "assessment-1"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitem": self.lineitem(1),
            },
        })
    }

    /// The scores received so far.
    pub fn scores(&self) -> Vec<Received> {
        lock(&self.shared.scores).clone()
    }

    /// Revokes every access token issued so far.
    pub fn revoke_tokens(&self) {
        lock(&self.shared.issued).clear();
    }

    /// The client assertions checked so far.
    pub fn assertions(&self) -> Vec<Result<Value, String>> {
        lock(&self.shared.assertions).clone()
    }
}

/// Registers a platform at `url` with `client_id` for `school_id` directly in the app's database;
/// answers its id.
pub fn register(app: &TestApp, url: &str, client_id: &str, school_id: &str) -> String {
    let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let (auth, token, jwks) = (
        format!("{url}/auth"),
        format!("{url}/token"),
        format!("{url}/jwks"),
    );
    tiku::storage::lti::add_platform(
        &mut c,
        &tiku::storage::lti::NewPlatform {
            school_id,
            issuer: url,
            client_id,
            deployment_id: DEPLOYMENT_ID,
            auth_url: &auth,
            token_url: &token,
            jwks_url: &jwks,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .id
}

/// A school with one class and, if `title` is given, an open assessment (blueprint A, fresh papers,
/// keys shown at once) for it: answers (school id, assessment id).
pub fn seed_school(app: &TestApp, title: Option<&str>) -> (String, Option<String>) {
    use tiku::storage::assessments::{self, Assessment, ShowKeys, Source};
    use tiku::storage::schools;
    let teacher = app.add_user(
        tiku::domain::user::Role::Teacher,
        &format!("teacher-{:x}", rand::random::<u32>()),
        "teach-the-class-2026",
    );
    let db = tiku::storage::Db::connect(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
    let school = schools::create(&mut c, "LTI school", None).unwrap_or_else(|e| panic!("{e}"));
    let class = schools::create_class(&mut c, &school.id, "Class 1", Some(&teacher))
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(title) = title else {
        return (school.id, None);
    };
    let now = tiku::storage::now();
    let id = format!("asm-{:x}", rand::random::<u64>());
    assessments::create(
        &mut c,
        &Assessment {
            id: id.clone(),
            school_id: school.id.clone(),
            class_id: class.id,
            title: title.to_owned(),
            source: Source::Fresh,
            blueprint: "A".into(),
            form: None,
            minutes: 60,
            opens_at: now - time::Duration::hours(1),
            closes_at: now + time::Duration::days(7),
            max_attempts: 3,
            show_keys: ShowKeys::Immediately,
            created_by: teacher,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (school.id, Some(id))
}

fn sign_with(key: &Key, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let k = EncodingKey::from_rsa_pem(key.pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    jsonwebtoken::encode(&header, claims, &k).unwrap_or_else(|e| panic!("{e}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| panic!("poisoned: {e}"))
}

async fn jwks() -> HttpResponse {
    let k = &keys().0;
    HttpResponse::Ok().json(json!({"keys": [{
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID, "n": k.n, "e": k.e
    }]}))
}

/// The client-credentials grant: the assertion must be signed by a key in the tool's JWKS, by and about
/// the client id, for this token endpoint, and unexpired.
async fn token(shared: web::Data<Shared>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let checked = check_assertion(&shared, &get).await;
    lock(&shared.assertions).push(checked.clone());
    match checked {
        Ok(_) => {
            let token = format!("at-{}", rand::random::<u64>());
            lock(&shared.issued).insert(token.clone());
            HttpResponse::Ok().json(json!({
                "access_token": token, "token_type": "Bearer", "expires_in": 3600,
                "scope": get("scope"),
            }))
        }
        Err(why) => HttpResponse::Unauthorized()
            .json(json!({"error": "invalid_client", "error_description": why})),
    }
}

async fn check_assertion(shared: &Shared, get: &impl Fn(&str) -> String) -> Result<Value, String> {
    if get("grant_type") != "client_credentials" {
        return Err(format!("grant_type {}", get("grant_type")));
    }
    if get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return Err("client_assertion_type".into());
    }
    if get("scope") != "https://purl.imsglobal.org/spec/lti-ags/scope/score" {
        return Err(format!("scope {}", get("scope")));
    }
    let assertion = get("client_assertion");
    let header = jsonwebtoken::decode_header(&assertion).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let url = lock(&shared.tool_jwks).clone();
    let mut resp = awc::Client::default()
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("fetching the tool's JWKS: {e}"))?;
    let set: jsonwebtoken::jwk::JwkSet = resp.json().await.map_err(|e| e.to_string())?;
    let jwk = set.find(&kid).ok_or("the tool's JWKS lacks the kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[lock(&shared.token_url).clone()]);
    v.set_issuer(&[CLIENT_ID]);
    v.sub = Some(CLIENT_ID.into());
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let data = jsonwebtoken::decode::<Value>(&assertion, &key, &v).map_err(|e| e.to_string())?;
    if data.claims["jti"].as_str().is_none_or(str::is_empty) {
        return Err("no jti".into());
    }
    Ok(data.claims)
}

async fn score(shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let bearer = header("authorization")
        .strip_prefix("Bearer ")
        .map(str::to_owned)
        .unwrap_or_default();
    let token_valid = lock(&shared.issued).contains(&bearer);
    let path = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    lock(&shared.scores).push(Received {
        path,
        content_type: header("content-type"),
        token_valid,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if token_valid {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::Unauthorized().finish()
    }
}
