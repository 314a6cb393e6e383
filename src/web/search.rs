//! `GET /api/v1/search` and the search page `GET /search`: the bilingual search over the bank.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::auth::MaybeAuth;
use super::i18n::request_lang;
use super::pages::{error_page, render};
use super::{ApiError, AppState};
use crate::domain::taxonomy::TagCode;
use crate::domain::{Kind, Status, Subject};
use crate::search::{Audience, SearchRequest, SearchResults};

/// Query parameters of a search (all optional).
#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words in Chinese or English, abbreviations (FOB, L/C) or a pasted stem.
    pub q: Option<String>,
    /// `A` or `B`.
    pub subject: Option<String>,
    /// A tag code; matches the tag and its whole subtree.
    pub tag: Option<String>,
    /// single, multiple, true_false, fill, numeric, case, written.
    pub kind: Option<String>,
    /// 1 to 5.
    pub difficulty: Option<String>,
    /// draft, in_review, published, retired (staff only; candidates see published items).
    pub status: Option<String>,
    /// A rule version such as `UCP600`.
    pub rule: Option<String>,
    /// 1-based page number.
    pub page: Option<String>,
    /// Hits per page, 1 to 100 (default 20).
    pub per_page: Option<String>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl SearchParams {
    /// Validates the parameters; the error names the parameter at fault.
    pub fn to_request(&self, audience: Audience) -> Result<SearchRequest, ApiError> {
        let mut req = SearchRequest::new(blank(&self.q).unwrap_or_default(), audience);
        req.facets = true;
        if req.q.chars().count() > 500 {
            return Err(ApiError::invalid(
                "q",
                "the query is longer than 500 characters",
            ));
        }
        if let Some(s) = blank(&self.subject) {
            req.subject = Some(
                Subject::parse(s)
                    .ok_or_else(|| ApiError::invalid("subject", "subject is A or B"))?,
            );
        }
        if let Some(t) = blank(&self.tag) {
            req.tag = Some(TagCode::parse(t).map_err(|e| ApiError::invalid("tag", e))?);
        }
        if let Some(k) = blank(&self.kind) {
            req.kind = Some(Kind::parse(k).ok_or_else(|| {
                ApiError::invalid(
                    "kind",
                    "kind is single, multiple, true_false, fill, numeric, case or written",
                )
            })?);
        }
        if let Some(d) = blank(&self.difficulty) {
            let level: u8 = d
                .parse()
                .ok()
                .filter(|l| (1..=5).contains(l))
                .ok_or_else(|| {
                    ApiError::invalid("difficulty", "difficulty is a whole number from 1 to 5")
                })?;
            req.difficulty = Some(level);
        }
        if let Some(s) = blank(&self.status) {
            let status = Status::parse(s).ok_or_else(|| {
                ApiError::invalid("status", "status is draft, in_review, published or retired")
            })?;
            // Candidates only ever see published items; asking for anything else finds nothing.
            req.status = Some(status);
        }
        if let Some(r) = blank(&self.rule) {
            req.rule = Some(r.to_owned());
        }
        if let Some(p) = blank(&self.page) {
            req.page = p
                .parse()
                .ok()
                .filter(|n: &usize| (1..=10_000).contains(n))
                .ok_or_else(|| ApiError::invalid("page", "page is a whole number from 1"))?;
        }
        req.per_page = match blank(&self.per_page) {
            Some(p) => p
                .parse()
                .ok()
                .filter(|n: &usize| (1..=100).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid("per_page", "per_page is a whole number from 1 to 100")
                })?,
            None => 20,
        };
        Ok(req)
    }
}

/// Staff search every item's latest version; everyone else the published versions.
fn audience_of(auth: &MaybeAuth) -> Audience {
    if auth.0.as_ref().is_some_and(|a| a.is_staff()) {
        Audience::Staff
    } else {
        Audience::Public
    }
}

async fn run(state: &AppState, req: SearchRequest) -> Result<SearchResults, ApiError> {
    let index = state.search.clone();
    web::block(move || index.search(&req))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Searches the bank in Chinese and English. Staff search every item's latest version (any status);
/// candidates and visitors see published items only and never keys or explanations; `snippet_zh`/`snippet_en` are HTML with the matched words in `<b>`.
#[utoipa::path(
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Ranked hits with facet counts", body = SearchResults),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody)
    )
)]
#[get("/api/v1/search")]
pub async fn get_search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let req = params.to_request(Audience::Public)?;
    Ok(HttpResponse::Ok().json(run(&state, req).await?))
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    count: u64,
    selected: bool,
}

#[derive(Serialize)]
struct SearchPage {
    q: String,
    searched: bool,
    error: Option<String>,
    total: usize,
    took_ms: String,
    hits: Vec<HitView>,
    subjects: Vec<Choice>,
    kinds: Vec<Choice>,
    difficulties: Vec<Choice>,
    tags: Vec<Choice>,
    rules: Vec<Choice>,
    statuses: Vec<Choice>,
    prev_url: Option<String>,
    next_url: Option<String>,
    page: usize,
}

#[derive(Serialize)]
struct HitView {
    id: String,
    status: String,
    status_label: String,
    kind: String,
    subject: String,
    difficulty: u64,
    tags: String,
    stem: String,
    /// Sanitised by construction: tantivy escapes the text and adds only `<b>`.
    snippet: String,
    other_snippet: String,
    /// For staff: the item's answer statistics at a glance, flagged when they look wrong.
    stats: Option<crate::web::teach::quality::Glance>,
}

/// `GET /search`: the search form, results with highlighted passages, and filters with counts. Works
/// without JavaScript.
pub async fn get_search_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
    params: web::Query<SearchParams>,
) -> HttpResponse {
    let audience = audience_of(&auth);
    let lang = request_lang(&req);
    let t = |key: &str| state.strings.get(key, lang).unwrap_or(key).to_owned();
    let searched = blank(&params.q).is_some()
        || [
            &params.subject,
            &params.tag,
            &params.kind,
            &params.difficulty,
            &params.rule,
        ]
        .iter()
        .any(|p| blank(p).is_some())
        // The teachers' list: `?status=` (any status) lists the whole bank.
        || (params.status.is_some() && auth.0.as_ref().is_some_and(|a| a.is_staff()));
    let (results, error) = match params.to_request(audience) {
        Ok(r) => match run(&state, r).await {
            Ok(res) => (Some(res), None),
            Err(e) => {
                tracing::error!(error = %e, "search page");
                return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
            }
        },
        Err(e) => (None, Some(e.to_string())),
    };
    let facets = results
        .as_ref()
        .and_then(|r| r.facets.clone())
        .unwrap_or_default();
    let choose = |values: Vec<(String, String)>,
                  counts: &std::collections::BTreeMap<String, u64>,
                  current: Option<&str>| {
        values
            .into_iter()
            .map(|(value, label)| Choice {
                count: counts.get(&value).copied().unwrap_or(0),
                selected: current == Some(value.as_str()),
                value,
                label,
            })
            .collect::<Vec<_>>()
    };
    let subjects = choose(
        Subject::ALL
            .iter()
            .map(|s| (s.code().to_owned(), t(&format!("subject_{}", s.code()))))
            .collect(),
        &facets.subject,
        blank(&params.subject),
    );
    let kinds = choose(
        Kind::ALL
            .iter()
            .map(|k| (k.code().to_owned(), t(&format!("kind_{}", k.code()))))
            .collect(),
        &facets.kind,
        blank(&params.kind),
    );
    let difficulties = choose(
        (1..=5).map(|d| (d.to_string(), d.to_string())).collect(),
        &facets.difficulty,
        blank(&params.difficulty),
    );
    let taxonomy = state.search.taxonomy().clone();
    let tags = choose(
        taxonomy
            .tags()
            .iter()
            .map(|tag| {
                let indent = if tag.code.parent().is_some() {
                    "　"
                } else {
                    ""
                };
                (
                    tag.code.to_string(),
                    format!("{indent}{} {}", tag.code, tag.name.get(lang)),
                )
            })
            .collect(),
        &facets.tag,
        blank(&params.tag),
    );
    let statuses = if audience == Audience::Staff {
        choose(
            Status::ALL
                .iter()
                .map(|s| (s.code().to_owned(), t(&format!("status_{}", s.code()))))
                .collect(),
            &facets.status,
            blank(&params.status),
        )
    } else {
        Vec::new()
    };
    let rules = choose(
        facets.rule.keys().map(|r| (r.clone(), r.clone())).collect(),
        &facets.rule,
        blank(&params.rule),
    );
    let page = params
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    let per_page = 20;
    let page_url = |n: usize| {
        let mut p = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default();
        p.retain(|(k, _)| k != "page");
        p.push(("page".into(), n.to_string()));
        format!(
            "/search?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        )
    };
    let total = results.as_ref().map_or(0, |r| r.total);
    let stats = if auth.0.as_ref().is_some_and(|a| a.is_staff()) {
        state.stats.current(&state).await.ok()
    } else {
        None
    };
    let hits = results
        .as_ref()
        .map(|r| {
            r.hits
                .iter()
                .map(|h| {
                    let (snippet, other, stem) = match lang {
                        crate::domain::Lang::Zh => (&h.snippet_zh, &h.snippet_en, &h.stem_zh),
                        crate::domain::Lang::En => (&h.snippet_en, &h.snippet_zh, &h.stem_en),
                    };
                    HitView {
                        id: h.id.clone(),
                        status: h.status.clone(),
                        status_label: t(&format!("status_{}", h.status)),
                        kind: t(&format!("kind_{}", h.kind)),
                        subject: h.subject.clone(),
                        difficulty: h.difficulty,
                        tags: h.tags.join(" "),
                        stem: stem.clone(),
                        snippet: snippet.clone(),
                        other_snippet: other.clone(),
                        stats: stats.as_ref().and_then(|s| s.glance(&h.id)),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let title = t("search_title");
    render(
        &state,
        &req,
        auth.0.as_ref(),
        StatusCode::OK,
        "search",
        &title,
        SearchPage {
            q: blank(&params.q).unwrap_or_default().to_owned(),
            searched,
            error,
            total,
            took_ms: results
                .as_ref()
                .map_or_else(String::new, |r| format!("{:.1}", r.took_ms)),
            hits,
            subjects,
            kinds,
            difficulties,
            tags,
            rules,
            statuses,
            prev_url: (page > 1).then(|| page_url(page - 1)),
            next_url: (page * per_page < total).then(|| page_url(page + 1)),
            page,
        },
    )
}
