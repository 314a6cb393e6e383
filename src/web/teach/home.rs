//! `GET /teach`: the teachers' desk — items waiting for review, the teacher's own drafts and returned
//! items, open error reports and items whose statistics look wrong, with links to every tool.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{staff, t};
use crate::domain::item::Status;
use crate::storage::items::{self, Queued};
use crate::storage::reports::{self, ReportStatus};
use crate::web::AppState;
use crate::web::auth::MaybeAuth;
use crate::web::pages::{error_page, render};

/// How many entries each list shows.
const LIST: i64 = 50;

#[derive(Serialize)]
struct Desk {
    /// Items in review that this teacher may approve (not their own, unless admin).
    to_review: Vec<Queued>,
    /// This teacher's items in review, waiting for a colleague.
    mine_in_review: Vec<Queued>,
    drafts: Vec<Queued>,
    open_reports: usize,
    flagged: usize,
}

pub async fn get_teach(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuth,
) -> HttpResponse {
    let auth = match staff(&state, &req, auth) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    let me = auth.user.id.clone();
    let admin = auth.user.role == crate::domain::user::Role::Admin;
    let loaded = state
        .with_db(move |c| {
            let in_review = items::queue(c, Status::InReview, None, 500)?;
            let drafts = items::queue(c, Status::Draft, Some(&me), LIST)?;
            let open = reports::list(c, Some(ReportStatus::Open), None, 1000)?.len();
            let mut names = std::collections::HashMap::new();
            for q in in_review.iter().chain(&drafts) {
                if !names.contains_key(&q.created_by)
                    && let Some(u) = crate::storage::users::get(c, &q.created_by)?
                {
                    names.insert(q.created_by.clone(), u.name);
                }
            }
            Ok((in_review, drafts, open, me, names))
        })
        .await;
    let Ok((in_review, drafts, open_reports, me, names)) = loaded else {
        return error_page(&state, &req, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let flagged = match state.stats.current(&state).await {
        Ok(s) => s.flagged().len(),
        Err(_) => 0,
    };
    let (mine_in_review, others): (Vec<Queued>, Vec<Queued>) =
        in_review.into_iter().partition(|q| q.created_by == me);
    let to_review = if admin {
        others
            .into_iter()
            .chain(mine_in_review.iter().cloned())
            .collect()
    } else {
        others
    };
    let named = |list: Vec<Queued>| -> Vec<Queued> {
        list.into_iter()
            .map(|mut q| {
                if let Some(n) = names.get(&q.created_by) {
                    q.created_by = n.clone();
                }
                q
            })
            .collect()
    };
    let desk = Desk {
        to_review: named(to_review.into_iter().take(LIST as usize).collect()),
        mine_in_review: named(mine_in_review),
        drafts,
        open_reports,
        flagged,
    };
    let title = t(&state, &req, "nav_teach");
    render(
        &state,
        &req,
        Some(&auth),
        StatusCode::OK,
        "teach",
        &title,
        desk,
    )
}
