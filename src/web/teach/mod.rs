//! The teachers' area: listing and searching items in every status, writing and editing every kind,
//! previewing Markdown, the review workflow, version history and diffs.

pub mod display;
pub mod form;
pub mod home;
pub mod interchange;
pub mod quality;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};

use super::auth::{Auth, MaybeAuth};
use super::i18n::request_lang;
use super::markdown::to_safe_html;
use super::pages::{error_page, render};
use super::{ApiError, AppState};
use crate::bank::write::item_to_toml;
use crate::domain::item::{ItemId, Kind, Status};
use crate::domain::user::Role;
use crate::storage::{documents, items};
use display::{DiffRow, ItemDisplay, side_by_side};
use form::{FieldErrors, ItemForm};

/// The staff roles.
pub(crate) const STAFF: &[Role] = &[Role::Teacher, Role::Admin];

/// A page only staff may see: the login page for visitors, 403 for other roles.
pub(crate) fn staff(
    state: &AppState,
    req: &HttpRequest,
    auth: MaybeAuth,
) -> Result<Auth, Box<HttpResponse>> {
    match auth.0 {
        Some(a) if a.is_staff() => Ok(a),
        Some(_) => Err(Box::new(error_page(state, req, StatusCode::FORBIDDEN))),
        None => {
            let next =
                serde_urlencoded::to_string([("next", req.uri().to_string())]).unwrap_or_default();
            Err(Box::new(
                HttpResponse::SeeOther()
                    .insert_header(("Location", format!("/login?{next}")))
                    .finish(),
            ))
        }
    }
}

/// A form post only staff may make: [`staff`], then the form's CSRF token (403 page when it fails).
pub(crate) fn staff_form(
    state: &AppState,
    req: &HttpRequest,
    auth: MaybeAuth,
    csrf: &str,
) -> Result<Auth, Box<HttpResponse>> {
    let auth = staff(state, req, auth)?;
    if auth.check_csrf(req, Some(csrf)).is_err() {
        return Err(Box::new(error_page(state, req, StatusCode::FORBIDDEN)));
    }
    Ok(auth)
}

pub(crate) fn t(state: &AppState, req: &HttpRequest, key: &str) -> String {
    state
        .strings
        .get(key, request_lang(req))
        .unwrap_or(key)
        .to_owned()
}

pub(crate) fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct EditorPage {
    action: String,
    new: bool,
    kind: String,
    kind_label: String,
    is_choice: bool,
    is_case: bool,
    form: ItemForm,
    errors: FieldErrors,
    warnings: FieldErrors,
    error_count: usize,
    /// The rule versions list is open when it has a problem.
    rules_open: bool,
    leaves: Vec<Choice>,
    other_tags: Vec<Choice>,
    rules: Vec<Choice>,
    subjects: Vec<Choice>,
    difficulties: Vec<Choice>,
    part_kinds: Vec<Choice>,
    previews: Vec<Preview>,
    kinds: Vec<Choice>,
}

#[derive(Serialize)]
struct Preview {
    label: String,
    zh_html: String,
    en_html: String,
}

/// Builds the editor page's view model.
/// What the editor shows besides the vocabulary.
struct EditorInput {
    form: ItemForm,
    errors: FieldErrors,
    warnings: FieldErrors,
    action: String,
    new: bool,
    previews: Vec<Preview>,
}

impl EditorInput {
    fn fresh(form: ItemForm, action: String, new: bool) -> EditorInput {
        EditorInput {
            form,
            errors: FieldErrors::new(),
            warnings: FieldErrors::new(),
            action,
            new,
            previews: Vec::new(),
        }
    }
}

fn editor(
    state: &AppState,
    req: &HttpRequest,
    docs: &documents::Documents,
    input: EditorInput,
) -> EditorPage {
    let EditorInput {
        form,
        errors,
        warnings,
        action,
        new,
        previews,
    } = input;
    let lang = request_lang(req);
    let primary = form.tags.first().cloned().unwrap_or_default();
    let leaves: Vec<Choice> = docs
        .taxonomy
        .leaves()
        .map(|l| Choice {
            value: l.code.to_string(),
            label: format!("{} {}", l.code, l.name.get(lang)),
            selected: l.code.as_str() == primary,
        })
        .collect();
    // Checked ones first, in the item's order, so that saving does not reorder them.
    let mut other_tags: Vec<Choice> = form
        .tags
        .iter()
        .skip(1)
        .map(|t| Choice {
            value: t.clone(),
            label: t.clone(),
            selected: true,
        })
        .collect();
    for l in docs.taxonomy.leaves() {
        if !form.tags.iter().skip(1).any(|t| t == l.code.as_str()) {
            other_tags.push(Choice {
                value: l.code.to_string(),
                label: format!("{} {}", l.code, l.name.get(lang)),
                selected: false,
            });
        }
    }
    for c in other_tags.iter_mut().filter(|c| c.selected) {
        if let Some(tag) = crate::domain::taxonomy::TagCode::parse(&c.value)
            .ok()
            .and_then(|code| docs.taxonomy.get(&code).cloned())
        {
            c.label = format!("{} {}", tag.code, tag.name.get(lang));
        }
    }
    let mut rules: Vec<Choice> = form
        .rules
        .iter()
        .map(|r| Choice {
            value: r.clone(),
            label: r.clone(),
            selected: true,
        })
        .collect();
    for r in &docs.rules.rules {
        if !form.rules.contains(&r.id) {
            let superseded = r
                .superseded_by
                .as_ref()
                .map(|s| format!(" → {s}"))
                .unwrap_or_default();
            rules.push(Choice {
                value: r.id.clone(),
                label: format!("{}{superseded}", r.id),
                selected: false,
            });
        }
    }
    let choices = |values: &[&str], current: &str, prefix: &str| -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: (*v).to_owned(),
                label: if prefix.is_empty() {
                    (*v).to_owned()
                } else {
                    t(state, req, &format!("{prefix}{v}"))
                },
                selected: *v == current,
            })
            .collect()
    };
    let kind = form.kind.clone();
    let error_count = errors.values().map(Vec::len).sum();
    let rules_open = errors.contains_key("rules") || warnings.contains_key("rules");
    EditorPage {
        action,
        new,
        kind_label: t(state, req, &format!("kind_{kind}")),
        is_choice: kind == "single" || kind == "multiple",
        is_case: kind == "case",
        subjects: choices(&["A", "B"], &form.subject, "subject_"),
        difficulties: choices(&["1", "2", "3", "4", "5"], &form.difficulty, ""),
        part_kinds: choices(
            &[
                "single",
                "multiple",
                "true_false",
                "fill",
                "numeric",
                "written",
            ],
            "",
            "kind_",
        ),
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.code().into(),
                label: t(state, req, &format!("kind_{}", k.code())),
                selected: false,
            })
            .collect(),
        kind,
        form,
        errors,
        warnings,
        error_count,
        rules_open,
        leaves,
        other_tags,
        rules,
        previews,
    }
}

#[derive(Deserialize)]
pub struct KindParam {
    kind: Option<String>,
}

fn render_editor(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    status: StatusCode,
    page: EditorPage,
) -> HttpResponse {
    let title = if page.new {
        t(state, req, "new_item")
    } else {
        format!("{} {}", t(state, req, "edit_item"), page.form.id)
    };
    render(state, req, Some(auth), status, "editor", &title, page)
}

async fn load_docs(state: &AppState) -> Result<documents::Documents, ApiError> {
    state.with_db(documents::load).await
}

/// `GET /teach/items/new?kind=single`
pub async fn get_new_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    q: web::Query<KindParam>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let kind = q
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Single);
    let docs = match load_docs(&state).await {
        Ok(d) => d,
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let page = editor(
        &state,
        &req,
        &docs,
        EditorInput::fresh(
            ItemForm::new_item(kind.code()),
            "/teach/items/new".into(),
            true,
        ),
    );
    render_editor(&state, &req, &auth, StatusCode::OK, page)
}

/// `GET /teach/items/{id}/edit`
pub async fn get_edit_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let found = state
        .with_db(move |c| Ok((items::get(c, &id, None)?, documents::load(c)?)))
        .await;
    match found {
        Ok((Some(stored), docs)) => {
            let action = format!("/teach/items/{}/edit", stored.item.id);
            let page = editor(
                &state,
                &req,
                &docs,
                EditorInput::fresh(ItemForm::from_item(&stored.item), action, false),
            );
            render_editor(&state, &req, &auth, StatusCode::OK, page)
        }
        Ok((None, _)) => error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// Previews of the Markdown fields (the editor's "Preview" without JavaScript).
fn previews(form: &ItemForm) -> Vec<Preview> {
    let mut out = Vec::new();
    let mut add = |label: &str, zh: &str, en: &str| {
        if !(zh.trim().is_empty() && en.trim().is_empty()) {
            out.push(Preview {
                label: label.to_owned(),
                zh_html: to_safe_html(zh),
                en_html: to_safe_html(en),
            });
        }
    };
    add("material", &form.material_zh, &form.material_en);
    for q in std::iter::once(&form.question).chain(&form.parts) {
        add(&format!("{}stem", q.prefix), &q.stem_zh, &q.stem_en);
        add(&format!("{}explanation", q.prefix), &q.expl_zh, &q.expl_en);
        add(
            &format!("{}model answer", q.prefix),
            &q.model_zh,
            &q.model_en,
        );
    }
    out
}

/// Saves the posted editor as a new draft version (or a new item), or applies an editor action.
async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    body: web::Form<Vec<(String, String)>>,
    existing: Option<String>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let pairs = body.into_inner();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if auth.check_csrf(&req, Some(&field("csrf"))).is_err() {
        return error_page(&state, &req, StatusCode::FORBIDDEN);
    }
    let op = field("op");
    let mut form = ItemForm::from_pairs(&pairs);
    if let Some(id) = &existing {
        form.id = id.clone();
    }
    let docs = match load_docs(&state).await {
        Ok(d) => d,
        Err(_) => return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let action = match &existing {
        Some(id) => format!("/teach/items/{id}/edit"),
        None => "/teach/items/new".into(),
    };
    if op != "save" {
        let preview = if op == "preview" {
            previews(&form)
        } else {
            Vec::new()
        };
        form.apply(&op);
        let page = editor(
            &state,
            &req,
            &docs,
            EditorInput {
                previews: preview,
                ..EditorInput::fresh(form, action, existing.is_none())
            },
        );
        return render_editor(&state, &req, &auth, StatusCode::OK, page);
    }
    // A new item without an id gets the next one for its primary tag.
    if existing.is_none() && form.id.is_empty() {
        let tag = form.tags.first().cloned().unwrap_or_default();
        if !tag.is_empty() {
            let t2 = tag.clone();
            if let Ok(id) = state.with_db(move |c| items::next_id(c, &t2)).await {
                form.id = id;
            }
        }
    }
    let (item, mut errors, warnings) = form.check(Status::Draft, &docs.taxonomy, &docs.rules);
    if existing.is_none() && !form.id.is_empty() {
        let id = form.id.clone();
        if let Ok(Some(_)) = state.with_db(move |c| items::get(c, &id, None)).await {
            errors
                .entry("id".into())
                .or_default()
                .push(format!("the id {} is already taken", form.id));
        }
    }
    let item = match item {
        Some(item) if errors.is_empty() => item,
        _ => {
            let page = editor(
                &state,
                &req,
                &docs,
                EditorInput {
                    errors,
                    warnings,
                    ..EditorInput::fresh(form, action, existing.is_none())
                },
            );
            return render_editor(&state, &req, &auth, StatusCode::BAD_REQUEST, page);
        }
    };
    let actor = auth.user.id.clone();
    let id = item.id.to_string();
    let saved = state
        .with_db(move |c| {
            if let Some(latest) = items::get(c, item.id.as_str(), None)?
                && latest.item == item
            {
                return Ok(None);
            }
            items::save_new_version(c, &item, Status::Draft, &actor).map(Some)
        })
        .await;
    match saved {
        Ok(Some(v)) => see_other(format!("/teach/items/{id}?saved={v}")),
        Ok(None) => see_other(format!("/teach/items/{id}?unchanged=1")),
        Err(e) => {
            tracing::error!(error = %e, "saving an item");
            error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// `POST /teach/items/new`
pub async fn post_new_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    body: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    save(state, req, auth, body, None).await
}

/// `POST /teach/items/{id}/edit`
pub async fn post_edit_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    save(state, req, auth, body, Some(path.into_inner())).await
}

#[derive(Serialize)]
struct Action {
    op: &'static str,
    label: String,
    needs_comment: bool,
}

#[derive(Serialize)]
struct ItemPage {
    display: ItemDisplay,
    version: u32,
    latest_version: u32,
    published_version: Option<u32>,
    status: String,
    status_label: String,
    author: String,
    created_at: String,
    is_latest: bool,
    actions: Vec<Action>,
    versions: Vec<VersionRow>,
    audit: Vec<items::AuditEntry>,
    near_duplicates: Vec<items::NearDuplicate>,
    toml: String,
    /// What still keeps this version from review (missing translations, rules, sources …).
    incomplete: Vec<String>,
    saved: Option<String>,
    unchanged: bool,
    flash: Option<String>,
    stats: Vec<quality::StatsView>,
    reports: Vec<crate::storage::reports::Report>,
    /// A published version after an earlier one: past answers may need a regrade.
    can_regrade: bool,
}

#[derive(Serialize)]
struct VersionRow {
    version: u32,
    status: String,
    created_at: String,
    created_by: String,
    diff_from: Option<u32>,
}

#[derive(Deserialize)]
pub struct ItemPageParams {
    saved: Option<String>,
    unchanged: Option<String>,
    flash: Option<String>,
}

async fn item_page(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    id: String,
    version: Option<u32>,
    params: &ItemPageParams,
) -> HttpResponse {
    let i2 = id.clone();
    let loaded = state
        .with_db(move |c| {
            let stored = items::get(c, &i2, version)?;
            let versions = items::versions(c, &i2)?;
            let audit = items::audit_trail(c, &i2)?;
            let dups = items::near_duplicates_of(c, std::slice::from_ref(&i2))?;
            let open = crate::storage::reports::list(
                c,
                Some(crate::storage::reports::ReportStatus::Open),
                Some(&i2),
                100,
            )?;
            let names: std::collections::BTreeMap<String, String> = versions
                .iter()
                .map(|v| v.created_by.clone())
                .chain(audit.iter().map(|a| a.actor.clone()))
                .filter_map(|uid| {
                    crate::storage::users::get(c, &uid)
                        .ok()
                        .flatten()
                        .map(|u| (uid, u.name))
                })
                .collect();
            Ok((
                stored,
                versions,
                audit,
                (dups, open),
                names,
                documents::load(c)?,
            ))
        })
        .await;
    let (stored, versions, mut audit, (near_duplicates, reports), names, docs) = match loaded {
        Ok((Some(s), v, a, d, n, docs)) => (s, v, a, d, n, docs),
        Ok((None, ..)) => return error_page(state, req, StatusCode::NOT_FOUND),
        Err(_) => return error_page(state, req, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let name = |uid: &str| names.get(uid).cloned().unwrap_or_else(|| uid.to_owned());
    for a in &mut audit {
        a.actor = name(&a.actor);
    }
    let is_latest = stored.version == stored.latest_version;
    let mut actions = Vec::new();
    if is_latest {
        let mine = stored.created_by == auth.user.id;
        let admin = auth.user.role == Role::Admin;
        let mut add = |op: &'static str, key: &str, needs_comment: bool| {
            actions.push(Action {
                op,
                label: t(state, req, key),
                needs_comment,
            })
        };
        match stored.status {
            Status::Draft => add("submit", "action_submit", false),
            Status::InReview => {
                if !mine || admin {
                    add("approve", "action_approve", false);
                }
                add("return", "action_return", true);
            }
            Status::Published => add("retire", "action_retire", true),
            Status::Retired => add("reopen", "action_reopen", false),
        }
    }
    let rows: Vec<VersionRow> = versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            status: t(state, req, &format!("status_{}", v.status.code())),
            created_at: v.created_at.to_string(),
            created_by: name(&v.created_by),
            diff_from: (v.version > 1).then(|| v.version - 1),
        })
        .collect();
    let incomplete: Vec<String> = if stored.status == Status::Draft {
        let (_, errors, warnings) =
            ItemForm::from_item(&stored.item).check(Status::InReview, &docs.taxonomy, &docs.rules);
        errors
            .into_values()
            .chain(warnings.into_values())
            .flatten()
            .collect()
    } else {
        Vec::new()
    };
    let title = format!("{} · v{}", stored.item.id, stored.version);
    let stats = match state.stats.current(state).await {
        Ok(all) => all
            .of_item(stored.item.id.as_str())
            .into_iter()
            .map(|q| quality::StatsView::of(state, req, q))
            .collect(),
        Err(_) => Vec::new(),
    };
    let page = ItemPage {
        display: ItemDisplay::of(&stored.item),
        version: stored.version,
        latest_version: stored.latest_version,
        published_version: stored.published_version,
        status: stored.status.code().to_owned(),
        status_label: t(state, req, &format!("status_{}", stored.status.code())),
        author: name(&stored.created_by),
        created_at: stored.created_at.to_string(),
        is_latest,
        actions,
        versions: rows,
        audit,
        near_duplicates,
        toml: item_to_toml(&stored.item, stored.status),
        incomplete,
        saved: params.saved.clone(),
        unchanged: params.unchanged.is_some(),
        flash: params.flash.clone(),
        stats,
        reports,
        can_regrade: stored.published_version.is_some_and(|v| v > 1),
    };
    render(state, req, Some(auth), StatusCode::OK, "item", &title, page)
}

/// `GET /teach/items/{id}`: the latest version with its key, the workflow actions, history and log.
pub async fn get_item_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    q: web::Query<ItemPageParams>,
) -> HttpResponse {
    match staff(&state, &req, auth) {
        Ok(a) => item_page(&state, &req, &a, path.into_inner(), None, &q).await,
        Err(r) => *r,
    }
}

/// `GET /teach/items/{id}/versions/{v}`
pub async fn get_version_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<(String, u32)>,
    q: web::Query<ItemPageParams>,
) -> HttpResponse {
    let (id, v) = path.into_inner();
    match staff(&state, &req, auth) {
        Ok(a) => item_page(&state, &req, &a, id, Some(v), &q).await,
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub struct WorkflowForm {
    op: String,
    comment: Option<String>,
    csrf: String,
}

/// `POST /teach/items/{id}/workflow`: submit, approve, return, retire, reopen.
pub async fn post_workflow(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    form: web::Form<WorkflowForm>,
) -> HttpResponse {
    let auth = match staff_form(&state, &req, auth, &form.csrf) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let result = workflow(
        &state,
        &auth,
        &id,
        &form.op,
        form.comment.as_deref().unwrap_or_default(),
    )
    .await;
    let flash = match result {
        Ok(status) => format!(
            "{} → {}",
            form.op,
            t(&state, &req, &format!("status_{}", status.code()))
        ),
        Err(e) => e.to_string(),
    };
    let q = serde_urlencoded::to_string([("flash", flash)]).unwrap_or_default();
    see_other(format!("/teach/items/{id}?{q}"))
}

/// Applies a workflow step; submitting and approving need the item complete in both languages.
pub async fn workflow(
    state: &AppState,
    auth: &Auth,
    id: &str,
    op: &str,
    comment: &str,
) -> Result<Status, ApiError> {
    auth.require(STAFF)?;
    let step = items::Transition::parse(op).ok_or_else(|| {
        ApiError::invalid("op", "op is submit, approve, return, retire or reopen")
    })?;
    let (id, actor, admin, comment) = (
        id.to_owned(),
        auth.user.id.clone(),
        auth.user.role == Role::Admin,
        comment.to_owned(),
    );
    state
        .with_db(move |c| {
            if matches!(step, items::Transition::Submit | items::Transition::Approve) {
                // Nothing incomplete goes to review or to candidates.
                let Some(latest) = items::get(c, &id, None)? else {
                    return Ok(Err(ApiError::NotFound));
                };
                let docs = documents::load(c)?;
                let (_, errors, _) = ItemForm::from_item(&latest.item).check(
                    Status::InReview,
                    &docs.taxonomy,
                    &docs.rules,
                );
                if let Some((field, messages)) = errors.iter().next() {
                    return Ok(Err(ApiError::Conflict(format!(
                        "the item is not complete yet ({field}: {}); edit it first",
                        messages.join("; ")
                    ))));
                }
            }
            Ok(
                match items::transition(c, &id, step, &actor, admin, &comment) {
                    Ok(s) => Ok(s),
                    Err(items::TransitionError::NotFound) => Err(ApiError::NotFound),
                    Err(items::TransitionError::Storage(e)) => Err(e.into()),
                    Err(e) => Err(ApiError::Conflict(e.to_string())),
                },
            )
        })
        .await?
}

#[derive(Deserialize)]
pub struct DiffParams {
    from: u32,
    to: u32,
}

#[derive(Serialize)]
struct DiffPage {
    id: String,
    from: u32,
    to: u32,
    rows: Vec<DiffRow>,
}

/// `GET /teach/items/{id}/diff?from=1&to=2`: two versions side by side in the bank's format.
pub async fn get_diff(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    path: web::Path<String>,
    q: web::Query<DiffParams>,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let id = path.into_inner();
    let (i2, from, to) = (id.clone(), q.from, q.to);
    let loaded = state
        .with_db(move |c| {
            Ok((
                items::get(c, &i2, Some(from))?,
                items::get(c, &i2, Some(to))?,
            ))
        })
        .await;
    match loaded {
        Ok((Some(a), Some(b))) => {
            let rows = side_by_side(
                &item_to_toml(&a.item, a.status),
                &item_to_toml(&b.item, b.status),
            );
            let title = format!("{id} v{from} → v{to}");
            render(
                &state,
                &req,
                Some(&auth),
                StatusCode::OK,
                "diff",
                &title,
                DiffPage { id, from, to, rows },
            )
        }
        Ok(_) => error_page(&state, &req, StatusCode::NOT_FOUND),
        Err(_) => error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewRequest {
    /// Markdown.
    pub text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviewResponse {
    /// Sanitised HTML.
    pub html: String,
}

/// Renders Markdown as the pages show it (sanitised: no script, no event handler, no javascript: URL).
#[utoipa::path(tag = "items", request_body = PreviewRequest, responses((status = 200, body = PreviewResponse)))]
#[post("/api/v1/preview")]
pub async fn post_preview(
    req: HttpRequest,
    auth: Auth,
    body: web::Json<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require(STAFF)?;
    auth.check_csrf(&req, None)?;
    if body.text.len() > 200_000 {
        return Err(ApiError::invalid(
            "text",
            "the text is longer than 200,000 bytes",
        ));
    }
    Ok(HttpResponse::Ok().json(PreviewResponse {
        html: to_safe_html(&body.text),
    }))
}

/// Whether `raw` is a usable item id (for routes that take one).
pub fn valid_id(raw: &str) -> bool {
    ItemId::parse(raw).is_ok()
}
