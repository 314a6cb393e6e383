//! Start-up: connect the database (running migrations), import the bank, build the template registry,
//! bind the listener, and serve until a shutdown signal.

use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::Compress;
use actix_web::{App, HttpServer, web as aw};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

use crate::bank;
use crate::config::ServeSettings;
use crate::domain::glossary::Glossary;
use crate::search::SearchIndex;
use crate::search::sync::{self, Follower};
use crate::storage::{Db, documents, items};
use crate::web::{self, AppState, i18n::Strings, templates};

/// A built server, bound to its port but not yet running.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares everything the server needs; fails with a clear message if the database cannot be reached
    /// or a template does not compile.
    pub async fn build(settings: ServeSettings) -> anyhow::Result<Application> {
        let url = settings.data.database_url();
        let db = {
            let url = url.clone();
            aw::block(move || Db::connect(&url)).await??
        };
        tracing::info!(backend = db.backend().name(), "database ready");
        if !settings.no_bank_import {
            import_bank_at_startup(&db, &settings).await?;
        }
        let search = open_search(&db, &settings.data.data_dir).await?;
        let strings = Arc::new(Strings::load(templates::STRINGS).map_err(anyhow::Error::msg)?);
        let sessions: Arc<web::sessions::SessionCache> = Default::default();
        let state = aw::Data::new(AppState {
            db: db.clone(),
            templates: templates::registry(strings.clone()).map_err(anyhow::Error::msg)?,
            strings,
            search: search.clone(),
            secure_cookies: settings.secure_cookies,
            stats: Default::default(),
            learner: Default::default(),
            lti: Default::default(),
            sessions: sessions.clone(),
            // Requests never take the last two pooled connections: the background work (search follower,
            // outbox, sweeps) always finds one.
            db_slots: Arc::new(tokio::sync::Semaphore::new(
                (db.max_connections() as usize).saturating_sub(2).max(1),
            )),
            mocks: Arc::new(web::mocks::Mocks::new(web::mocks::writer::Writer::start(
                db.clone(),
            ))),
            payment_secret: settings.payment_secret.clone(),
        });
        follow_changes(db.clone(), search);
        submit_at_deadlines(state.clone());
        follow_revocations(db.clone(), sessions);
        deliver_outbox(db);

        let listener = TcpListener::bind(&settings.address)?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            let (app, api) = App::new()
                .into_utoipa_app()
                .openapi(web::openapi_base())
                .app_data(state.clone())
                .app_data(web::error::json_config())
                .app_data(web::error::query_config())
                .app_data(aw::PayloadConfig::new(
                    web::teach::interchange::MAX_IMPORT_BYTES,
                ))
                .configure(web::configure)
                .split_for_parts();
            let doc = api.to_json().unwrap_or_else(|_| "{}".to_owned());
            app.route("/api/v1/openapi.json", aw::get().to(web::openapi_json(doc)))
                .default_service(aw::to(web::pages::not_found))
                .wrap(Compress::default())
                // No other site may frame tiku's pages (clickjacking), except the embed pages, which
                // set their own policy.
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add(("Content-Security-Policy", "frame-ancestors 'self'")),
                )
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .shutdown_timeout(30);
        if let Some(n) = settings.workers {
            server = server.workers(n);
        }
        tracing::info!(address = %settings.address, port, "listening");
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then finishes requests in flight (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// How often each server checks the change feed: a saved change is searchable within a second.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(250);

/// Opens the search index under the data directory; a missing, corrupt or outdated index is rebuilt
/// from the database before the server answers.
async fn open_search(db: &Db, data_dir: &Path) -> anyhow::Result<Arc<SearchIndex>> {
    let db = db.clone();
    let dir = data_dir.join("index");
    aw::block(move || -> anyhow::Result<Arc<SearchIndex>> {
        let mut conn = db.conn()?;
        let docs = documents::load(&mut conn)?;
        let (index, fresh) = SearchIndex::open(&dir, docs.taxonomy, Glossary::new(docs.glossary))?;
        if fresh {
            let n = sync::rebuild(&index, &mut conn)?;
            tracing::info!(items = n, dir = %dir.display(), "search index rebuilt from the database");
        } else {
            let n = Follower::new(&index).poll(&index, &mut conn)?;
            tracing::info!(caught_up = n, documents = index.num_docs(), "search index opened");
        }
        Ok(Arc::new(index))
    })
    .await?
}

/// How often each server looks for mock attempts past their deadline.
const DEADLINE_SWEEP: Duration = Duration::from_secs(5);

/// Submits mock attempts whose deadline has passed, whether or not the candidate is still there. Every
/// server sweeps; claiming an attempt is one conditional update, so each is submitted once.
fn submit_at_deadlines(state: aw::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(DEADLINE_SWEEP);
        loop {
            tick.tick().await;
            match web::mocks::submit_due(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(attempts = n, "submitted at the deadline"),
                Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
            }
        }
    });
}

/// Reads the sessions ended lately (by any server) and forgets them here; prunes old ends now and then.
/// When they cannot be read, every cached session is forgotten, so none outlives its logout.
fn follow_revocations(db: Db, cache: Arc<web::sessions::SessionCache>) {
    use web::sessions::{REVOCATION_KEEP, REVOCATION_POLL, REVOCATION_WINDOW};
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(REVOCATION_POLL);
        let mut rounds: u64 = 0;
        loop {
            tick.tick().await;
            rounds += 1;
            let prune = rounds.is_multiple_of(600);
            let db = db.clone();
            let read = aw::block(move || -> Result<Vec<String>, String> {
                let mut conn = db.conn().map_err(|e| e.to_string())?;
                let now = crate::storage::now();
                if prune {
                    crate::storage::users::prune_revocations(&mut conn, now - REVOCATION_KEEP)
                        .map_err(|e| e.to_string())?;
                }
                crate::storage::users::revoked_since(&mut conn, now - REVOCATION_WINDOW)
                    .map_err(|e| e.to_string())
            })
            .await;
            match read {
                Ok(Ok(ended)) => cache.forget_digests(&ended),
                Ok(Err(e)) => {
                    cache.clear();
                    tracing::warn!(error = %e, "cannot read ended sessions; cached sessions forgotten");
                }
                Err(e) => {
                    cache.clear();
                    tracing::warn!(error = %e, "ended sessions not read; cached sessions forgotten");
                }
            }
        }
    });
}

/// How often each server looks for results to deliver to schools' sites.
const OUTBOX_INTERVAL: Duration = Duration::from_secs(1);

/// Delivers the outbox (webhooks, LTI scores) in the background; every server takes part, each job is
/// claimed by one at a time.
fn deliver_outbox(db: Db) {
    actix_web::rt::spawn(async move {
        let agent = crate::delivery::agent();
        let mut tick = actix_web::rt::time::interval(OUTBOX_INTERVAL);
        loop {
            tick.tick().await;
            let (db, agent) = (db.clone(), agent.clone());
            match aw::block(move || crate::delivery::round(&db, &agent)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(delivered = n, "outbox delivered"),
                Ok(Err(e)) => tracing::warn!(error = %e, "outbox round failed"),
                Err(e) => tracing::warn!(error = %e, "outbox round did not run"),
            }
        }
    });
}

/// Follows the database's change feed in the background, so that changes saved by any server become
/// searchable here.
fn follow_changes(db: Db, index: Arc<SearchIndex>) {
    let follower = Arc::new(Mutex::new(Follower::new(&index)));
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(FOLLOW_INTERVAL);
        loop {
            tick.tick().await;
            let (db, index, follower) = (db.clone(), index.clone(), follower.clone());
            let round = aw::block(move || -> Result<usize, String> {
                let mut conn = db.conn().map_err(|e| e.to_string())?;
                let mut f = follower
                    .lock()
                    .map_err(|_| "follower poisoned".to_owned())?;
                f.poll(&index, &mut conn).map_err(|e| e.to_string())
            })
            .await;
            match round {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::debug!(items = n, "search index updated"),
                Ok(Err(e)) => tracing::warn!(error = %e, "search index update failed; will retry"),
                Err(e) => tracing::warn!(error = %e, "search index update did not run"),
            }
        }
    });
}

/// Imports the bank directory: idempotent, all or nothing. A bank with errors is not imported (the
/// database keeps what it had) and every problem is logged.
async fn import_bank_at_startup(db: &Db, settings: &ServeSettings) -> anyhow::Result<()> {
    let dir = settings.bank_dir.clone();
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "no bank directory; nothing imported");
        return Ok(());
    }
    let db = db.clone();
    aw::block(move || -> anyhow::Result<()> {
        let loaded = bank::load(&dir);
        if loaded.has_errors() {
            for d in loaded.errors() {
                tracing::error!(problem = %d, "bank file problem");
            }
            tracing::error!(
                errors = loaded.errors().count(),
                "the bank has errors and was not imported; run `tiku check` to see them"
            );
            return Ok(());
        }
        let mut conn = db.conn()?;
        let report = items::import_bank(&mut conn, &loaded.bank, items::BANK_ACTOR, false)?;
        tracing::info!(
            created = report.created.len(),
            updated = report.updated.len(),
            status_changed = report.status_changed.len(),
            unchanged = report.unchanged,
            conflicts = report.conflicts.len(),
            "bank imported"
        );
        for d in &report.near_duplicates {
            tracing::warn!(item = %d.id, similar_to = %d.similar_to, similarity = d.similarity, "near-duplicate items");
        }
        for id in &report.conflicts {
            tracing::warn!(item = %id, "changed in the database since the last import; the file's version was not imported");
        }
        Ok(())
    })
    .await??;
    Ok(())
}

/// Sets up logging: text or JSON lines, level from `RUST_LOG` (default `info`).
pub fn init_tracing(format: crate::config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        crate::config::LogFormat::Json => builder.json().try_init(),
        crate::config::LogFormat::Text => builder.try_init(),
    };
}
