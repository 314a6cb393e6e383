//! The web layer: actix routes (wired in [`configure`]), handlers per resource, view models and pages.
//!
//! Only this module knows HTTP and templates. Handlers call storage on blocking threads and hand typed
//! view models to templates.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod admin_pages;
pub mod answer_form;
pub mod auth;
pub mod bank;
pub mod candidates;
pub mod charts;
pub mod embed;
pub mod error;
pub mod health;
pub mod i18n;
pub mod invitations;
pub mod item_page;
pub mod items;
pub mod learner;
pub mod login;
pub mod lti;
pub mod markdown;
pub mod mocks;
pub mod multipart;
pub mod pages;
pub mod practice;
pub mod practice_pages;
pub mod present;
pub mod progress_page;
pub mod register;
pub mod reports;
pub mod schools;
pub mod search;
pub mod sessions;
pub mod teach;
pub mod templates;

use actix_web::{HttpResponse, web as aw};
use handlebars::Handlebars;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::storage::{AnyConnection, Db, StorageError};
pub use error::ApiError;

/// Shared state of every worker: the database pool and the template registry. Nothing here is the only
/// copy of anything: all state lives in the database, so several servers can share one PostgreSQL.
pub struct AppState {
    pub db: Db,
    pub templates: Handlebars<'static>,
    pub strings: std::sync::Arc<i18n::Strings>,
    pub search: std::sync::Arc<crate::search::SearchIndex>,
    /// Whether cookies get the Secure flag (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// The payment provider's callback secret, if payments are confirmed by callback.
    pub payment_secret: Option<String>,
    /// Mock exams: the group-commit writer and the caches of the pool and attempts.
    pub mocks: std::sync::Arc<mocks::Mocks>,
    /// Item statistics, derived from the answer log and recomputed as answers arrive.
    pub stats: std::sync::Arc<teach::quality::StatsCache>,
    /// The exam as the learner model sees it, per bank change.
    pub learner: std::sync::Arc<learner::ExamCache>,
    /// One permit per pooled connection: requests wait here (cheaply, in async) rather than as blocked
    /// threads, so a burst (thousands of submissions at a deadline) never floods the blocking pool.
    pub db_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// LTI: platforms' public keys and the tool's keys, cached.
    pub lti: std::sync::Arc<lti::LtiState>,
    /// Sessions read in the last moments (answer saves come in streams).
    pub sessions: std::sync::Arc<sessions::SessionCache>,
}

impl AppState {
    /// Runs `f` with a pooled connection on a blocking thread, so the async workers never wait on SQL.
    pub async fn with_db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let _slot = self
            .db_slots
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let db = self.db.clone();
        aw::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await?
        .map_err(ApiError::from)
    }
}

/// Today's date in Beijing time: the exam's dates (registration windows, test dates) are Beijing dates.
pub fn beijing_today() -> time::Date {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}

/// Every route of the service. JSON endpoints go through `service` so they appear in the OpenAPI document.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::get_healthz)
        .service(bank::get_bank_summary)
        .service(search::get_search)
        .service(auth::post_login)
        .service(auth::post_logout)
        .service(auth::get_me)
        .service(items::get_item)
        .service(teach::post_preview)
        .service(teach::interchange::post_import)
        .service(teach::interchange::get_export)
        .service(teach::quality::get_item_stats)
        .service(teach::quality::post_regrade)
        .service(candidates::post_candidate)
        .service(candidates::get_me)
        .service(candidates::put_photo)
        .service(candidates::get_sittings)
        .service(candidates::post_registration)
        .service(admin::post_sitting)
        .service(accounts::put_disabled)
        .service(accounts::put_member_disabled)
        .service(accounts::put_role)
        .service(invitations::post_invitation)
        .service(admin::post_payment)
        .service(admin::post_payment_list)
        .service(admin::post_callback)
        .service(admin::get_orders)
        .service(practice::post_practice)
        .service(practice::get_next)
        .service(practice::post_answer)
        .service(practice::post_self_assessment)
        .service(practice::post_skip)
        .service(practice::post_favorite)
        .service(mocks::api::post_mock)
        .service(mocks::api::put_answer)
        .service(mocks::api::get_mock)
        .service(mocks::api::post_submit)
        .service(mocks::api::get_result)
        .service(mocks::api::post_self_assessment)
        .service(learner::get_mastery)
        .service(schools::post_school)
        .service(schools::get_schools)
        .service(schools::get_school)
        .service(schools::patch_school)
        .service(schools::post_secret)
        .service(schools::post_staff)
        .service(schools::post_class)
        .service(schools::get_class)
        .service(schools::roster::post_roster)
        .service(schools::assessments::post_assessment)
        .service(schools::assessments::get_assessment)
        .service(schools::gradebook::get_gradebook)
        .service(schools::gradebook::get_item_analysis)
        .service(schools::gradebook::get_heatmap)
        .service(schools::forecast::get_forecast)
        .service(schools::grading::get_written)
        .service(schools::grading::post_grade)
        .service(schools::gradebook::get_class_gradebook)
        .service(reports::post_report)
        .service(reports::get_reports)
        .service(reports::post_resolve)
        .route(
            "/teach/import",
            aw::get().to(teach::interchange::get_import_page),
        )
        .route(
            "/teach/import",
            aw::post().to(teach::interchange::post_import_page),
        )
        .route(
            "/teach/export",
            aw::get().to(teach::interchange::get_export_page),
        )
        .route(
            "/teach/template.xlsx",
            aw::get().to(teach::interchange::get_template),
        )
        .route("/teach", aw::get().to(teach::home::get_teach))
        .route("/teach/stats", aw::get().to(teach::quality::get_stats_page))
        .route("/teach/reports", aw::get().to(reports::get_queue))
        .route(
            "/teach/reports/{id}",
            aw::post().to(reports::post_resolve_form),
        )
        .route(
            "/teach/items/{id}/regrade",
            aw::get().to(teach::quality::get_regrade_page),
        )
        .route(
            "/teach/items/{id}/regrade",
            aw::post().to(teach::quality::post_regrade_page),
        )
        .route("/items/{id}", aw::get().to(item_page::get_public_item))
        .route("/practice", aw::get().to(practice_pages::get_start))
        .route("/practice", aw::post().to(practice_pages::post_start))
        .route("/practice/{id}", aw::get().to(practice_pages::get_item))
        .route("/practice/{id}", aw::post().to(practice_pages::post_item))
        .route(
            "/practice/{id}/skip",
            aw::post().to(practice_pages::post_skip),
        )
        .route(
            "/practice/{id}/assess",
            aw::post().to(practice_pages::post_assess),
        )
        .route(
            "/favorites/{item}",
            aw::post().to(practice_pages::post_favorite),
        )
        .route("/mocks", aw::get().to(mocks::pages::get_list))
        .route("/mocks", aw::post().to(mocks::pages::post_start))
        .route("/mocks/{id}", aw::get().to(mocks::pages::get_sitting))
        .route("/mocks/{id}/save", aw::post().to(mocks::pages::post_save))
        .route("/mocks/{id}/result", aw::get().to(mocks::pages::get_result))
        .route(
            "/mocks/{id}/assess",
            aw::post().to(mocks::pages::post_assess),
        )
        .route("/school", aw::get().to(schools::pages::get_schools))
        .route("/school", aw::post().to(schools::pages::post_school))
        .route("/school/{id}", aw::get().to(schools::pages::get_school))
        .route(
            "/school/{id}/roster",
            aw::post().to(schools::pages::post_roster),
        )
        .route(
            "/school/{id}/classes/{class}",
            aw::get().to(schools::pages::get_class),
        )
        .route(
            "/school/{id}/classes/{class}/assessments",
            aw::post().to(schools::pages::post_assessment),
        )
        .route(
            "/school/{id}/classes/{class}/drill",
            aw::post().to(schools::pages::post_drill),
        )
        .route(
            "/school/{id}/assessments/{assessment}",
            aw::get().to(schools::pages::get_assessment),
        )
        .route(
            "/school/{id}/assessments/{assessment}/grading",
            aw::get().to(schools::grading::get_grading_page),
        )
        .route(
            "/school/{id}/assessments/{assessment}/grading/{response_id}",
            aw::post().to(schools::grading::post_grading_page),
        )
        .route(
            "/school/{id}/{op}",
            aw::post().to(schools::pages::post_school_form),
        )
        .route("/embed/s/{token}", aw::get().to(embed::get_session))
        .route("/embed/s/{token}/start", aw::post().to(embed::post_start))
        .route("/embed/s/{token}/save", aw::post().to(embed::post_save))
        .route(
            "/embed/s/{token}/answers/{slot}",
            aw::put().to(embed::put_answer),
        )
        .route("/embed/s/{token}/done", aw::get().to(embed::get_done))
        .route(
            "/embed/s/{token}/review/{attempt}",
            aw::get().to(embed::get_review),
        )
        .route("/embed/{assessment}", aw::get().to(embed::get_embed))
        .route("/register", aw::get().to(register::get_register))
        .route("/register", aw::post().to(register::post_register))
        .route("/me", aw::get().to(register::get_me_page))
        .route("/me/photo", aw::get().to(register::get_me_photo))
        .route("/me/progress", aw::get().to(progress_page::get_progress))
        .route(
            "/me/registrations",
            aw::post().to(register::post_me_registration),
        )
        .route("/admin", aw::get().to(admin_pages::get_admin))
        .route("/invite/{token}", aw::get().to(invitations::get_invite))
        .route("/invite/{token}", aw::post().to(invitations::post_invite))
        .route(
            "/school/{id}/classes/{class}/invite/{user}",
            aw::post().to(invitations::post_invite_form),
        )
        .route(
            "/admin/accounts",
            aw::post().to(admin_pages::post_account_form),
        )
        .route(
            "/admin/sittings",
            aw::post().to(admin_pages::post_sitting_form),
        )
        .route(
            "/admin/payments",
            aw::post().to(admin_pages::post_upload_form),
        )
        .route(
            "/admin/candidates/{id}/payment",
            aw::post().to(admin_pages::post_confirm_form),
        )
        .route(
            "/admin/candidates/{id}/photo",
            aw::get().to(admin_pages::get_candidate_photo),
        )
        .route(
            "/items/{id}/report",
            aw::post().to(reports::post_report_form),
        )
        .route("/teach/items/new", aw::get().to(teach::get_new_item))
        .route("/teach/items/new", aw::post().to(teach::post_new_item))
        .route("/teach/items/{id}", aw::get().to(teach::get_item_page))
        .route("/teach/items/{id}/edit", aw::get().to(teach::get_edit_item))
        .route(
            "/teach/items/{id}/edit",
            aw::post().to(teach::post_edit_item),
        )
        .route(
            "/teach/items/{id}/workflow",
            aw::post().to(teach::post_workflow),
        )
        .route(
            "/teach/items/{id}/versions/{v}",
            aw::get().to(teach::get_version_page),
        )
        .route("/teach/items/{id}/diff", aw::get().to(teach::get_diff))
        .route("/search", aw::get().to(search::get_search_page))
        .route("/", aw::get().to(pages::get_home))
        .route("/login", aw::get().to(login::get_login))
        .route("/login", aw::post().to(login::post_login))
        .route("/logout", aw::post().to(login::post_logout))
        .route("/static/{file}", aw::get().to(pages::get_static))
        .route("/lti/login", aw::get().to(lti::get_login))
        .route("/lti/login", aw::post().to(lti::post_login))
        .route("/lti/launch", aw::post().to(lti::post_launch))
        .route("/lti/deep-link", aw::post().to(lti::post_deep_link))
        .route("/lti/jwks", aw::get().to(lti::get_jwks));
}

/// The OpenAPI document's header; paths and schemas are collected from the handlers.
pub fn openapi_base() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("tiku API")
                .version("1")
                .description(Some(
                    "The public HTTP API of tiku, the question bank and practice engine for the \
                     Cross-border E-commerce (B2B) Post Competency Test. Errors are \
                     {\"error\": {\"code\", \"message\", \"field\"}}.",
                ))
                .build(),
        )
        .build()
}

/// Serves the OpenAPI document.
pub fn openapi_json(doc: String) -> impl Fn() -> std::future::Ready<HttpResponse> + Clone {
    move || {
        std::future::ready(
            HttpResponse::Ok()
                .content_type("application/json")
                .body(doc.clone()),
        )
    }
}
