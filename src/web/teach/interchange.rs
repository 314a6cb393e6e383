//! Imports and exports over HTTP: `POST /api/v1/imports` (all or nothing, dry run first) and
//! `GET /api/v1/exports` (filtered by a search), with the teachers' import and export pages.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{STAFF, staff};
use crate::bank::importing::{self, Format, Options, Prepared, Problem, SkipNote};
use crate::bank::interchange::{gift, moodle, sheet};
use crate::bank::write::items_to_toml;
use crate::bank::{Bank, BankItem};
use crate::domain::item::{Item, Status, Subject};
use crate::domain::taxonomy::TagCode;
use crate::domain::user::Role;
use crate::search::Audience;
use crate::storage::items::{NearDuplicate, SavedBatch};
use crate::storage::{documents, items};
use crate::web::auth::{Auth, MaybeAuth};
use crate::web::pages::{error_page, render};
use crate::web::search::SearchParams;
use crate::web::{ApiError, AppState};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// bank, xlsx, csv, gift or moodle_xml.
    pub format: Option<String>,
    /// true: check and report without importing.
    pub dry_run: Option<String>,
    /// Subject for items whose file does not say (Moodle formats).
    pub subject: Option<String>,
    /// Tag for items whose file does not say (a `$CATEGORY` naming a tag code also works).
    pub tag: Option<String>,
    /// Difficulty for items whose file does not say (default 3).
    pub difficulty: Option<String>,
    /// true (admins only): keep the statuses the file gives instead of importing drafts.
    pub keep_status: Option<String>,
}

/// An item an import brings in, for the preview.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportedItem {
    pub id: String,
    pub line: usize,
    pub kind: String,
    pub status: String,
    pub stem_zh: String,
    pub stem_en: String,
}

/// The answer to an import.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Items imported (or, in a dry run, that would be).
    pub imported: usize,
    pub skipped: Vec<SkipNote>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub dry_run: bool,
    pub items: Vec<ImportedItem>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub near_duplicates: Vec<NearDuplicate>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "1" | "yes" | "on"))
}

/// Checks the parameters and who asks.
fn options(params: &ImportParams, auth: &Auth) -> Result<(Format, bool, Options), ApiError> {
    let format = params
        .format
        .as_deref()
        .and_then(Format::parse)
        .ok_or_else(|| {
            ApiError::invalid("format", "format is bank, xlsx, csv, gift or moodle_xml")
        })?;
    let keep_status = flag(&params.keep_status);
    if keep_status && auth.user.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin may import items with their statuses; teachers import drafts".into(),
        ));
    }
    let default_subject = match params.subject.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Subject::parse(s).ok_or_else(|| ApiError::invalid("subject", "subject is A or B"))?,
        ),
        None => None,
    };
    let default_tag = match params.tag.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => Some(TagCode::parse(t).map_err(|e| ApiError::invalid("tag", e))?),
        None => None,
    };
    let default_difficulty = match params.difficulty.as_deref().filter(|s| !s.is_empty()) {
        Some(d) => d
            .parse::<u8>()
            .ok()
            .filter(|d| (1..=5).contains(d))
            .ok_or_else(|| ApiError::invalid("difficulty", "difficulty is 1 to 5"))?,
        None => 3,
    };
    Ok((
        format,
        flag(&params.dry_run),
        Options {
            keep_status,
            default_subject,
            default_tag,
            default_difficulty,
        },
    ))
}

/// Reads, checks and (unless a dry run, and only when there is no error) saves.
pub async fn run_import(
    state: &AppState,
    auth: &Auth,
    format: Format,
    dry_run: bool,
    opts: Options,
    bytes: Vec<u8>,
) -> Result<ImportReport, ApiError> {
    let actor = auth.user.id.clone();
    let report = state
        .with_db(move |c| {
            let docs = documents::load(c)?;
            let bank = Bank {
                taxonomy: docs.taxonomy,
                rules: docs.rules,
                ..Bank::default()
            };
            let mut taken: BTreeMap<String, u32> = BTreeMap::new();
            for id in items::all_ids(c)? {
                if let Some((tag, n)) = id.rsplit_once('-')
                    && let Ok(n) = n.parse::<u32>()
                {
                    let e = taken.entry(tag.to_owned()).or_default();
                    *e = (*e).max(n);
                }
            }
            let mut allocate = |tag: &str| {
                let n = taken.entry(tag.to_owned()).or_default();
                *n += 1;
                format!("{tag}-{:04}", *n)
            };
            let prepared: Prepared =
                importing::prepare(format, &bytes, &bank, &opts, &mut allocate);
            let listed: Vec<ImportedItem> = prepared.items.iter().map(listed).collect();
            let mut report = ImportReport {
                imported: 0,
                skipped: prepared.skipped,
                errors: prepared.errors,
                warnings: prepared.warnings,
                dry_run,
                items: listed,
                created: Vec::new(),
                updated: Vec::new(),
                unchanged: Vec::new(),
                near_duplicates: Vec::new(),
            };
            if !report.errors.is_empty() {
                return Ok(report);
            }
            report.imported = prepared.items.len();
            if !dry_run {
                let batch: Vec<(Item, Status)> = prepared
                    .items
                    .into_iter()
                    .map(|b| (b.item, b.status))
                    .collect();
                let saved: SavedBatch = items::save_batch(c, &batch, &actor)?;
                report.imported = saved.created.len() + saved.updated.len();
                report.created = saved.created;
                report.updated = saved.updated;
                report.unchanged = saved.unchanged;
                report.near_duplicates = saved.near_duplicates;
            }
            Ok(report)
        })
        .await?;
    Ok(report)
}

fn listed(b: &BankItem) -> ImportedItem {
    let excerpt = |s: &str| crate::search::document::plain_excerpt(s, 80);
    let (zh, en) = match &b.item.body {
        crate::domain::item::Body::Question(q) => (excerpt(&q.stem.zh), excerpt(&q.stem.en)),
        crate::domain::item::Body::Case(c) => (excerpt(&c.material.zh), excerpt(&c.material.en)),
    };
    ImportedItem {
        id: b.item.id.to_string(),
        line: b.line,
        kind: b.item.kind().code().to_owned(),
        status: b.status.code().to_owned(),
        stem_zh: zh,
        stem_en: en,
    }
}

/// Imports items from a file sent as the request body. Any error: 422 and nothing is imported. Imports
/// by teachers start as drafts.
#[utoipa::path(
    tag = "items",
    params(ImportParams),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Imported (or, with dry_run, checked)", body = ImportReport),
        (status = 422, description = "The file has errors; nothing was imported", body = ImportReport),
        (status = 403, description = "Not staff, or keep_status by a non-admin", body = crate::web::error::ErrorBody)
    )
)]
#[post("/api/v1/imports")]
pub async fn post_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    params: web::Query<ImportParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require(STAFF)?;
    auth.check_csrf(&req, None)?;
    let (format, dry_run, opts) = options(&params, &auth)?;
    if body.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "send the file as the request body",
        ));
    }
    let report = run_import(&state, &auth, format, dry_run, opts, body.to_vec()).await?;
    if !report.errors.is_empty() {
        let n = report.errors.len();
        return Err(ApiError::Unprocessable {
            message: format!("{n} problems in the file; nothing was imported"),
            details: serde_json::to_value(&report).unwrap_or_default(),
        });
    }
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// bank, xlsx, csv, gift or moodle_xml.
    pub format: Option<String>,
}

/// Exports the items a search matches (latest versions), in the bank's format, xlsx, CSV, GIFT or Moodle
/// XML. Items a format cannot hold are listed in the `X-Tiku-Not-Exported` header.
#[utoipa::path(
    tag = "items",
    params(ExportParams, SearchParams),
    responses((status = 200, description = "The file"), (status = 403, body = crate::web::error::ErrorBody))
)]
#[get("/api/v1/exports")]
pub async fn get_export(
    state: web::Data<AppState>,
    auth: Auth,
    format: web::Query<ExportParams>,
    search: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    auth.require(STAFF)?;
    let format = format
        .format
        .as_deref()
        .and_then(Format::parse)
        .ok_or_else(|| {
            ApiError::invalid("format", "format is bank, xlsx, csv, gift or moodle_xml")
        })?;
    let mut req = search.to_request(Audience::Staff)?;
    req.facets = false;
    let index = state.search.clone();
    let ids = web::block(move || index.matching_ids(&req))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let stored = state
        .with_db(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(s) = items::get(c, id, None)? {
                    out.push(s);
                }
            }
            Ok(out)
        })
        .await?;
    let mut list: Vec<(&Item, Status)> = stored.iter().map(|s| (&s.item, s.status)).collect();
    list.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    let (bytes, mime, ext, skipped): (Vec<u8>, &str, &str, Vec<(String, String)>) = match format {
        Format::Bank => (
            items_to_toml(list.iter().copied()).into_bytes(),
            "application/toml; charset=utf-8",
            "toml",
            Vec::new(),
        ),
        Format::Xlsx => {
            let (b, s) = sheet::write_xlsx(&list).map_err(ApiError::Internal)?;
            (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                s,
            )
        }
        Format::Csv => {
            let (t, s) = sheet::write_csv(&list).map_err(ApiError::Internal)?;
            (t.into_bytes(), "text/csv; charset=utf-8", "csv", s)
        }
        Format::Gift => {
            let (t, s) = gift::write(&list);
            (t.into_bytes(), "text/plain; charset=utf-8", "gift.txt", s)
        }
        Format::MoodleXml => {
            let (t, s) = moodle::write(&list);
            (t.into_bytes(), "application/xml; charset=utf-8", "xml", s)
        }
    };
    let not_exported: String = skipped
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut resp = HttpResponse::Ok();
    resp.insert_header((CONTENT_TYPE, mime)).insert_header((
        CONTENT_DISPOSITION,
        format!("attachment; filename=\"tiku-export.{ext}\""),
    ));
    if !not_exported.is_empty() {
        resp.insert_header(("X-Tiku-Not-Exported", not_exported));
    }
    Ok(resp.body(bytes))
}

/// `GET /teach/template.xlsx`: the spreadsheet template with a filled example row.
pub async fn get_template(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    if let Err(r) = staff(&state, &req, auth) {
        return *r;
    }
    match example_item().and_then(|example| sheet::write_xlsx(&[(&example, Status::Draft)])) {
        Ok((bytes, _)) => HttpResponse::Ok()
            .insert_header((
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ))
            .insert_header((
                CONTENT_DISPOSITION,
                "attachment; filename=\"tiku-template.xlsx\"",
            ))
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "template");
            error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The example row of the template: a complete, correct single-choice item.
fn example_item() -> Result<Item, String> {
    let text = r#"[[item]]
id = "T3.1-0999"
subject = "A"
kind = "single"
tags = ["T3.1"]
difficulty = 2
rules = ["Incoterms 2020"]
sources = ["Incoterms 2020, EXW A2/A7"]
status = "draft"
stem.zh = "按照《2020通则》，EXW术语下由谁办理出口清关？"
stem.en = "Under Incoterms 2020, who clears the goods for export under EXW?"
options = [
  { id = "a", zh = "卖方", en = "The seller" },
  { id = "b", zh = "买方", en = "The buyer" },
  { id = "c", zh = "承运人", en = "The carrier" },
]
answer = "b"
explanation.zh = "EXW是卖方义务最小的术语：出口清关由买方办理（B7）。卖方不办理清关，承运人也不承担这项义务。"
explanation.en = "EXW puts the least on the seller: the buyer clears the goods for export (B7). The seller does not clear them, nor does the carrier."
"#;
    let mut out = Vec::new();
    let file = crate::bank::diagnostic::SourceFile::new(
        std::path::Path::new(""),
        std::path::Path::new("example"),
        text.to_owned(),
    );
    let mut rep = crate::bank::diagnostic::Reporter::new(&file, &mut out);
    let entries =
        crate::bank::format::parse_array::<crate::bank::format::RawEntry>(&mut rep, "item");
    let ctx = crate::bank::items::Context {
        taxonomy: None,
        rules: None,
    };
    entries
        .into_iter()
        .find_map(|(span, raw)| crate::bank::items::check_item(&mut rep, &ctx, span, &raw))
        .map(|c| c.item)
        .ok_or_else(|| "the template's example item does not read".to_owned())
}

#[derive(Serialize)]
struct ImportPage {
    formats: Vec<(&'static str, &'static str)>,
    report: Option<ImportReport>,
    payload: Option<String>,
    format: String,
    subject: String,
    tag: String,
    difficulty: String,
    error: Option<String>,
    admin: bool,
}

fn formats() -> Vec<(&'static str, &'static str)> {
    vec![
        ("xlsx", "Excel (xlsx, template)"),
        ("csv", "CSV (template columns)"),
        ("bank", "tiku bank format (TOML)"),
        ("gift", "Moodle GIFT"),
        ("moodle_xml", "Moodle XML"),
    ]
}

/// `GET /teach/import`
pub async fn get_import_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let page = ImportPage {
        formats: formats(),
        report: None,
        payload: None,
        format: "xlsx".into(),
        subject: String::new(),
        tag: String::new(),
        difficulty: "3".into(),
        error: None,
        admin: auth.user.role == Role::Admin,
    };
    let title = super::t(&state, &req, "import_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "import",
        &title,
        page,
    )
}

/// `POST /teach/import` (multipart: the file, or the previewed file's payload, and the options). The
/// first post checks (a dry run) and shows the preview; "Import" posts the same file again for real.
pub async fn post_import_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    payload: Multipart,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(form) = crate::web::multipart::read(payload, MAX_IMPORT_BYTES * 2).await else {
        return error_page(&state, &req, StatusCode::PAYLOAD_TOO_LARGE);
    };
    let text = |k: &str| form.text(k);
    if auth.check_csrf(&req, Some(&text("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let params = ImportParams {
        format: Some(text("format")),
        dry_run: Some(if text("op") == "import" {
            "false".into()
        } else {
            "true".into()
        }),
        subject: Some(text("subject")),
        tag: Some(text("tag")),
        difficulty: Some(text("difficulty")),
        keep_status: Some(text("keep_status")),
    };
    let bytes = match form.file("file") {
        Some(f) => f.to_vec(),
        None => base64::engine::general_purpose::STANDARD
            .decode(text("payload"))
            .unwrap_or_default(),
    };
    let mut page = ImportPage {
        formats: formats(),
        report: None,
        payload: None,
        format: text("format"),
        subject: text("subject"),
        tag: text("tag"),
        difficulty: text("difficulty"),
        error: None,
        admin: auth.user.role == Role::Admin,
    };
    let title = super::t(&state, &req, "import_title");
    if bytes.is_empty() || bytes.len() > MAX_IMPORT_BYTES {
        page.error = Some(format!(
            "choose a file of at most {} MB",
            MAX_IMPORT_BYTES / 1024 / 1024
        ));
        return render(
            &state,
            &req,
            Some(&auth),
            StatusCode::BAD_REQUEST,
            "import",
            &title,
            page,
        );
    }
    let (format, dry_run, opts) = match options(&params, &auth) {
        Ok(o) => o,
        Err(e) => {
            page.error = Some(e.to_string());
            return render(
                &state,
                &req,
                Some(&auth),
                StatusCode::BAD_REQUEST,
                "import",
                &title,
                page,
            );
        }
    };
    match run_import(&state, &auth, format, dry_run, opts, bytes.clone()).await {
        Ok(report) => {
            let status = if report.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            if dry_run && report.errors.is_empty() {
                page.payload = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
            }
            page.report = Some(report);
            render(&state, &req, Some(&auth), status, "import", &title, page)
        }
        Err(e) => {
            page.error = Some(e.to_string());
            render(
                &state,
                &req,
                Some(&auth),
                StatusCode::BAD_REQUEST,
                "import",
                &title,
                page,
            )
        }
    }
}

/// `GET /teach/export`: the export form (its filters are the search's).
pub async fn get_export_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    #[derive(Serialize)]
    struct ExportPage {
        formats: Vec<(&'static str, &'static str)>,
    }
    let title = super::t(&state, &req, "export_title");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "export",
        &title,
        ExportPage { formats: formats() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_example_is_a_valid_item() {
        let item = example_item().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(item.id.as_str(), "T3.1-0999");
        assert_eq!(item.kind(), crate::domain::item::Kind::Single);
    }
}
