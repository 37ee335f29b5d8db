//! The indicators page: figures and an SVG chart drawn on the server (no script).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};

use sanyi_app::indicators::{self as service, IndicatorReport, RatioView};

use super::{Nav, PageActor, page_error};
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

async fn page(State(state): State<AppState>, p: PageActor) -> Response {
    let to = Utc::now() + Duration::seconds(1);
    match service::compute(&state.app, &p.actor, to - Duration::days(365), to).await {
        Ok(r) => {
            let (bars, ticks) = chart(&r);
            IndicatorsPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                r,
                bars,
                ticks,
            }
            .into_response()
        }
        Err(e) => page_error(p.t, e),
    }
}
