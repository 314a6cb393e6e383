//! `spawn_app()`: the real server on port 0 with a temporary data directory, on each backend.

use std::path::{Path, PathBuf};
use std::sync::Once;

use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tiku::config::{DataSettings, LogFormat, ServeSettings};
use tiku::startup::Application;

use super::pg;

/// Which database a test app runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running server and what it was started with.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub database_url: String,
    /// Holds the data directory for as long as the app lives.
    _dir: TempDir,
    pub client: awc::Client,
}

static WARNED: Once = Once::new();

impl TestApp {
    /// A server started elsewhere (e.g. the binary in a child process), with its data directory.
    pub fn external(address: String, db: Db, database_url: String, dir: TempDir) -> TestApp {
        TestApp {
            address,
            db,
            database_url,
            _dir: dir,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
        }
    }
}

/// The payment provider's secret the test servers are started with.
pub const PAYMENT_SECRET: &str = "test-payment-secret";

/// The bank used by the tests (small and valid).
pub fn fixture_bank() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank")
}

/// Copies a directory tree (to change a bank without touching the fixture).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copy: {e}"));
        }
    }
}

/// One app per available backend: SQLite always, PostgreSQL when the harness can provide it.
pub async fn spawn_apps(bank: Option<&Path>) -> Vec<TestApp> {
    let mut apps = vec![spawn_app(Db::Sqlite, bank).await];
    match pg::fresh_database() {
        Ok(url) => apps.push(spawn_app_with(Db::Postgres, Some(url), bank).await),
        Err(why) if pg::required() => {
            panic!("PostgreSQL is required (TIKU_REQUIRE_POSTGRES=1): {why}")
        }
        Err(why) => WARNED.call_once(|| {
            eprintln!("NOTE: PostgreSQL tests SKIPPED, running on SQLite only: {why}");
        }),
    }
    apps
}

/// An app on one backend (PostgreSQL panics when unavailable).
pub async fn spawn_app(db: Db, bank: Option<&Path>) -> TestApp {
    let url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(pg::fresh_database().unwrap_or_else(|e| panic!("{e}"))),
    };
    spawn_app_with(db, url, bank).await
}

/// A second server on the same database as `app` (as when several servers share one database).
pub async fn spawn_peer(app: &TestApp) -> TestApp {
    spawn_app_with(app.db, Some(app.database_url.clone()), None).await
}

async fn spawn_app_with(db: Db, database_url: Option<String>, bank: Option<&Path>) -> TestApp {
    // `TIKU_TEST_LOG=debug cargo test …` shows the servers' logs beside a failing test's output.
    if let Ok(filter) = std::env::var("TIKU_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = DataSettings {
        data_dir: dir.path().join("data"),
        database_url,
    };
    let database_url = data.database_url();
    let settings = ServeSettings {
        address: "127.0.0.1:0".into(),
        data,
        bank_dir: bank.map_or_else(|| dir.path().join("no-bank"), Path::to_path_buf),
        no_bank_import: bank.is_none(),
        workers: Some(1),
        log_format: LogFormat::Text,
        secure_cookies: false,
        payment_secret: Some(PAYMENT_SECRET.into()),
    };
    let app = Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("the app did not start on {db:?}: {e:#}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        database_url,
        _dir: dir,
        client: awc::Client::builder().disable_redirects().finish(),
    }
}

impl TestApp {
    /// GET `path`, returning the status and the body as text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let mut resp = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} on {:?}: {e}", self.db));
        let body = resp
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .unwrap_or_else(|e| panic!("body of {path}: {e}"));
        (
            resp.status().as_u16(),
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    /// GET `path` and parse the JSON body.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> (u16, T) {
        let (status, body) = self.get(path).await;
        let value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!(
                "{path} on {:?} is not the expected JSON ({e}): {body}",
                self.db
            )
        });
        (status, value)
    }
}

/// An empty database on each available backend (for storage tests without HTTP). The temporary
/// directory holds the SQLite file and must outlive the test.
pub fn databases() -> (TempDir, Vec<(Db, tiku::storage::Db)>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sqlite = format!("sqlite://{}", dir.path().join("tiku.db").display());
    let mut out = vec![(
        Db::Sqlite,
        tiku::storage::Db::connect(&sqlite).unwrap_or_else(|e| panic!("SQLite: {e}")),
    )];
    match pg::fresh_database() {
        Ok(url) => out.push((
            Db::Postgres,
            tiku::storage::Db::connect(&url).unwrap_or_else(|e| panic!("PostgreSQL: {e}")),
        )),
        Err(why) if pg::required() => {
            panic!("PostgreSQL is required (TIKU_REQUIRE_POSTGRES=1): {why}")
        }
        Err(why) => WARNED.call_once(|| {
            eprintln!("NOTE: PostgreSQL tests SKIPPED, running on SQLite only: {why}");
        }),
    }
    (dir, out)
}

/// A response as the tests see it.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: actix_web::http::header::HeaderMap,
}

impl Reply {
    /// Reads a client response whole.
    pub async fn read<S>(mut resp: awc::ClientResponse<S>) -> Reply
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let bytes = resp
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Reply {
            status: resp.status().as_u16(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            headers: resp.headers().clone(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `name=value` of a Set-Cookie header for `name`, with its attributes.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// How a test request authenticates.
#[derive(Clone, Debug, Default)]
pub struct As {
    pub bearer: Option<String>,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

impl TestApp {
    /// Creates an account directly in the database.
    pub fn add_user(&self, role: tiku::domain::user::Role, login: &str, password: &str) -> String {
        let db = tiku::storage::Db::connect(&self.database_url).unwrap_or_else(|e| panic!("{e}"));
        let mut c = db.conn().unwrap_or_else(|e| panic!("{e}"));
        let hash = tiku::auth::hash_password(password).unwrap_or_else(|e| panic!("{e}"));
        let (email, staff_login) = if role == tiku::domain::user::Role::Candidate {
            (Some(login), None)
        } else {
            (None, Some(login))
        };
        tiku::storage::users::create(
            &mut c,
            &tiku::storage::users::NewUser {
                role,
                login: staff_login,
                email,
                phone: None,
                name: login,
                password_hash: &hash,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .id
    }

    /// Logs in through the API; returns the bearer token.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(serde_json::json!({"login": login, "password": password})),
                &As::default(),
            )
            .await;
        assert_eq!(r.status, 200, "login as {login}: {}", r.body);
        r.json()["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token"))
            .to_owned()
    }

    /// Sends a request with an optional JSON body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        who: &As,
    ) -> Reply {
        let method = actix_web::http::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(t) = &who.bearer {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(c) = &who.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        if let Some(c) = &who.csrf {
            req = req.insert_header(("X-CSRF-Token", c.clone()));
        }
        let resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        Reply::read(resp.unwrap_or_else(|e| panic!("{path}: {e}"))).await
    }
}

/// Bearer authentication.
pub fn bearer(token: &str) -> As {
    As {
        bearer: Some(token.to_owned()),
        ..As::default()
    }
}

impl TestApp {
    /// Posts a form (as a browser would) with the session cookie of `who`.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)], who: &As) -> Reply {
        let mut req = self.client.post(format!("{}{path}", self.address));
        if let Some(c) = &who.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        Reply::read(
            req.send_form(&pairs)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .await
    }

    /// A browser-like session for `login`: the session cookie and its CSRF token.
    pub async fn browser(&self, login: &str, password: &str) -> As {
        let token = self.login(login, password).await;
        let cookie = format!("tiku_session={token}");
        let me = self
            .send(
                "GET",
                "/api/v1/auth/me",
                None,
                &As {
                    cookie: Some(cookie.clone()),
                    ..As::default()
                },
            )
            .await
            .json();
        As {
            bearer: None,
            cookie: Some(cookie),
            csrf: me["csrf_token"].as_str().map(str::to_owned),
        }
    }
}

impl TestApp {
    /// Sends raw bytes (a file upload through the API).
    pub async fn send_bytes(&self, method: &str, path: &str, body: Vec<u8>, who: &As) -> Reply {
        let method = actix_web::http::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .insert_header(("Content-Type", "application/octet-stream"));
        if let Some(t) = &who.bearer {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(c) = &who.cookie {
            req = req.insert_header(("Cookie", c.clone()));
        }
        if let Some(c) = &who.csrf {
            req = req.insert_header(("X-CSRF-Token", c.clone()));
        }
        Reply::read(
            req.send_body(body)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .await
    }
}
