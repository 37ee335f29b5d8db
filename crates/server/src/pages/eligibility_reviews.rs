//! The insurance officer's list of eligibility approvals due for review (待遇资格复审): chronic
//! and special-disease approvals, assistance categories and critical-illness status whose review
//! date falls within a window (overdue ones first), each linking to the resident's record.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::insurance::eligibility::{self, DueReview};

use super::{Nav, PageActor, Pager};
use crate::AppState;
use crate::i18n::Tr;

/// Rows per page.
const PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/insurance/eligibility-reviews", get(list))
}

/// The disease or category of a record, by name.
pub fn code_name(t: &Tr, r: &DueReview) -> String {
    let kind = match r.eligibility.kind.as_str() {
        "chronic_disease" => "chronic_disease",
        "assistance" => "assistance_category",
        _ => return t.pick("大病", "critical illness").to_owned(),
    };
    t.label(kind, &r.eligibility.code).to_owned()
}

#[derive(Deserialize, Default)]
struct ListQuery {
    within_days: Option<i64>,
    offset: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "eligibility_reviews.html")]
struct ListPage {
    t: Tr,
    nav: Option<Nav>,
    within_days: i64,
    rows: Vec<DueReview>,
    pager: Pager,
}

async fn list(State(state): State<AppState>, p: PageActor, Query(q): Query<ListQuery>) -> Response {
    let within_days = q.within_days.unwrap_or(30);
    let offset = q.offset.unwrap_or(0).max(0);
    let page = sanyi_app::Page { offset, limit: PAGE };
    match eligibility::due_for_review(&state.app, &p.actor, within_days, page).await {
        Ok(rows) => {
            let link = |o: i64| format!("/insurance/eligibility-reviews?within_days={within_days}&offset={o}");
            ListPage {
                pager: Pager::new(rows.total, offset, PAGE, link),
                nav: p.nav(),
                t: p.t,
                within_days,
                rows: rows.items,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}
