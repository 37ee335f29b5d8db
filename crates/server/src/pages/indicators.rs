//! The indicators page: figures and an SVG chart drawn on the server (no script).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use sanyi_app::indicators::{self as service, IndicatorReport, RatioView};

use sanyi_app::registry::Institution;

use super::{Nav, PageActor};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/indicators", get(page))
}

/// One bar of the monthly chart, in SVG coordinates.
pub struct Bar {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Height.
    pub h: i64,
    /// Fill colour.
    pub fill: &'static str,
    /// Value shown on hover.
    pub label: String,
}

/// A month label under the chart.
pub struct Tick {
    /// Centre.
    pub x: i64,
    /// `MM`.
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    t: Tr,
    nav: Option<Nav>,
    r: IndicatorReport,
    bars: Vec<Bar>,
    ticks: Vec<Tick>,
    /// The period as chosen, `YYYY-MM-DD` (inclusive days, Asia/Shanghai).
    from_day: String,
    to_day: String,
    /// The institutions of the viewer's area, for the subtree choice.
    institutions: Vec<Institution>,
}

/// The period and institution chosen on the page.
#[derive(Deserialize, Default)]
struct PageParams {
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    from: String,
    /// Last day (inclusive), `YYYY-MM-DD`.
    #[serde(default)]
    to: String,
    /// Institution whose subtree to show (empty: the whole area).
    #[serde(default)]
    institution_id: String,
}

/// The start of a local (Asia/Shanghai) day.
fn day_start(d: NaiveDate) -> DateTime<Utc> {
    sanyi_domain::time::from_beijing(d.and_time(chrono::NaiveTime::MIN))
}

/// A day field: empty → `None`; otherwise `YYYY-MM-DD` or the error text.
fn day(s: &str, t: &Tr) -> Result<Option<NaiveDate>, String> {
    match s.trim() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| t.pick("日期格式应为 YYYY-MM-DD", "Dates must be YYYY-MM-DD").to_owned()),
    }
}

/// Percentage text of a ratio (`—` when undefined).
pub fn pct(r: &RatioView) -> String {
    r.basis_points.map_or_else(
        || "—".into(),
        |bp| format!("{}.{:02}% ({}/{})", bp / 100, bp % 100, r.numerator, r.denominator),
    )
}

const CHART_H: i64 = 160;

fn chart(r: &IndicatorReport) -> (Vec<Bar>, Vec<Tick>) {
    let max = r
        .by_month
        .iter()
        .map(|m| m.upward.max(m.downward).max(m.consultations))
        .max()
        .unwrap_or(0)
        .max(1) as i64;
    let mut bars = Vec::new();
    let mut ticks = Vec::new();
    for (i, m) in r.by_month.iter().enumerate() {
        let x0 = 40 + i as i64 * 60;
        for (k, (v, fill)) in [(m.upward, "#0b5394"), (m.downward, "#6aa84f"), (m.consultations, "#e69138")]
            .into_iter()
            .enumerate()
        {
            let h = v as i64 * CHART_H / max;
            bars.push(Bar {
                x: x0 + k as i64 * 16,
                y: 10 + CHART_H - h,
                h,
                fill,
                label: format!("{} {v}", m.month),
            });
        }
        ticks.push(Tick {
            x: x0 + 24,
            text: m.month.get(5..).unwrap_or_default().to_owned(),
        });
    }
    (bars, ticks)
}

async fn page(State(state): State<AppState>, p: PageActor, Query(q): Query<PageParams>) -> Response {
    let shanghai_today = sanyi_domain::time::today();
    let (from_day, to_day) = match (day(&q.from, &p.t), day(&q.to, &p.t)) {
        (Ok(f), Ok(t)) => {
            let to_day = t.unwrap_or(shanghai_today);
            (f.unwrap_or(to_day - Duration::days(364)), to_day)
        }
        (Err(e), _) | (_, Err(e)) => {
            let err = sanyi_app::ServiceError::Validation(vec![sanyi_app::FieldError::new("from", "date", "YYYY-MM-DD", &e, &e)]);
            return p.error(err);
        }
    };
    let institution = Some(q.institution_id.trim()).filter(|s| !s.is_empty());
    let from = day_start(from_day);
    let to = day_start(to_day + Duration::days(1));
    match service::compute(&state.app, &p.actor, from, to, institution).await {
        Ok(r) => {
            let (bars, ticks) = chart(&r);
            let institutions = match sanyi_app::registry::institutions(&state.app, &p.actor).await {
                Ok(list) => list,
                Err(e) => return p.error(e),
            };
            IndicatorsPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                r,
                bars,
                ticks,
                from_day: from_day.to_string(),
                to_day: to_day.to_string(),
                institutions,
            }
            .into_response()
        }
        Err(e) => p.error(e),
    }
}
