//! The coder's page (病案编码员): enter a case, see its DRG, name, codes with names and the trace.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::drg::{self as service, CaseInput, CaseResult, GroupRequest, SchemeView};

use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/drg", get(form).post(group))
}

#[derive(Deserialize, Default, Clone)]
struct CaseForm {
    #[serde(default)]
    sex: String,
    #[serde(default)]
    age_years: String,
    #[serde(default)]
    age_days: String,
    #[serde(default)]
    weight_g: String,
    #[serde(default)]
    main_dx: String,
    #[serde(default)]
    other_dx: String,
    #[serde(default)]
    main_proc: String,
    #[serde(default)]
    other_procs: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "drg.html")]
struct DrgPage {
    t: Tr,
    nav: Option<Nav>,
    form: CaseForm,
    scheme: Option<SchemeView>,
    result: Option<CaseResult>,
    error: Option<String>,
}

fn split_codes(s: &str) -> Vec<String> {
    s.split([';', '\n', ',', '；', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The pool's scheme in force today; none (the page says so) when no scheme is in force.
async fn scheme_in_force(state: &AppState, p: &PageActor) -> Result<Option<SchemeView>, ServiceError> {
    let pool = service::pool_of(&p.actor);
    match service::in_force(&state.app, &pool, sanyi_domain::time::today()).await {
        Ok((row, _)) => Ok(Some((&row).into())),
        Err(ServiceError::Validation(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn form(State(state): State<AppState>, p: PageActor) -> Response {
    let scheme = match scheme_in_force(&state, &p).await {
        Ok(s) => s,
        Err(e) => return p.error(e),
    };
    let example = CaseForm {
        sex: "1".into(),
        age_years: "45".into(),
        main_dx: "K35.800x001".into(),
        main_proc: "47.0901".into(),
        ..Default::default()
    };
    DrgPage {
        nav: Some(Nav::of(&p.actor, &p.t)),
        t: p.t,
        form: example,
        scheme,
        result: None,
        error: None,
    }
    .into_response()
}

async fn group(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<CaseForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut diagnoses = vec![f.main_dx.trim().to_owned()];
    diagnoses.extend(split_codes(&f.other_dx));
    let mut procedures = vec![f.main_proc.trim().to_owned()];
    procedures.extend(split_codes(&f.other_procs));
    let case = CaseInput {
        case_id: None,
        sex: Some(f.sex.clone()),
        age_years: service::parse_decimal(&f.age_years),
        age_days: service::parse_truncated(&f.age_days),
        weight_g: service::parse_truncated(&f.weight_g),
        diagnoses,
        procedures,
    };
    let req = GroupRequest {
        pool: None,
        date: None,
        explain: true,
        cases: vec![case],
        case: None,
    };
    let scheme = match scheme_in_force(&state, &p).await {
        Ok(s) => s,
        Err(e) => return p.error(e),
    };
    match service::group(&state.app, &p.actor, req).await {
        Ok(mut r) => {
            let result = r.results.pop();
            DrgPage {
                nav: Some(Nav::of(&p.actor, &p.t)),
                t: p.t,
                form: f,
                scheme: Some(r.scheme),
                result,
                error: None,
            }
            .into_response()
        }
        Err(ServiceError::Validation(errs)) => {
            let error = Some(
                errs.iter()
                    .map(|e| p.t.pick(&e.message_zh, &e.message).to_owned())
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                DrgPage {
                    nav: Some(Nav::of(&p.actor, &p.t)),
                    t: p.t,
                    form: f,
                    scheme,
                    result: None,
                    error,
                },
            )
                .into_response()
        }
        Err(e) => p.error(e),
    }
}
