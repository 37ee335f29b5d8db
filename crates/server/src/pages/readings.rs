//! Remote reading pages (远程影像/心电诊断): the shared centre's worklist and the ordering site's
//! orders, the critical-value board, the viewer and report page of one reading (DICOM image with
//! window and zoom, ECG on standard paper, the structured report, the actions of the viewer's side),
//! and the order form from a resident's record. No JavaScript is needed: the window, zoom and
//! invert controls are a GET form that re-renders the image on the server.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use sanyi_app::ServiceError;
use sanyi_app::imaging::InstanceRow;
use sanyi_app::imaging::{self as imaging, EcgView, StudyView};
use sanyi_app::readings::{self as service, ReadingCommandInput, ReadingList, ReadingListQuery, ReadingOrderInput, ReadingView};
use sanyi_app::readings::{Modality, Report, TemplateField};

use super::BeijingTime;
use super::FieldMessages as _;
use super::{Nav, PageActor, same_origin};
use crate::AppState;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/readings", get(worklist).post(create))
        .route("/readings/new", get(new_form))
        .route("/readings/critical", get(critical_board))
        .route("/readings/{id}", get(detail))
        .route("/readings/{id}/act", post(act))
        .route(
            "/readings/{id}/upload",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(crate::api::imaging::INSTANCE_LIMIT)),
        )
}

fn messages(t: &Tr, e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Validation(errs) | ServiceError::Conflict(errs) | ServiceError::DecisionRequired { errors: errs, .. } => Some(
            errs.iter()
                .map(|e| t.pick(&e.message_zh, &e.message).to_owned())
                .collect::<Vec<_>>()
                .join("；"),
        ),
        ServiceError::VersionConflict { .. } => Some(
            t.pick(
                "该申请已被他人更新，请刷新后重试",
                "Someone changed this reading meanwhile; reload and try again",
            )
            .to_owned(),
        ),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(rename = "box")]
    side: Option<String>,
    state: Option<String>,
    modality: Option<String>,
    open: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "readings.html")]
struct ListPage {
    t: Tr,
    nav: Option<Nav>,
    list: ReadingList,
    critical_board: bool,
    state: String,
    modality: String,
    open: bool,
}

async fn render_list(state: &AppState, p: PageActor, q: ListParams, critical: bool) -> Response {
    let query = ReadingListQuery {
        r#box: q.side.filter(|s| !s.is_empty()),
        state: q.state.clone().filter(|s| !s.is_empty()),
        open: Some(q.open.as_deref() == Some("1")),
        critical: Some(critical),
        modality: q.modality.clone().filter(|s| !s.is_empty()),
        limit: Some(200),
    };
    match service::list(&state.app, &p.actor, &query).await {
        Ok(list) => ListPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            t: p.t,
            list,
            critical_board: critical,
            state: q.state.unwrap_or_default(),
            modality: q.modality.unwrap_or_default(),
            open: q.open.as_deref() == Some("1"),
        }
        .into_response(),
        Err(e) => p.error(e),
    }
}

async fn worklist(State(state): State<AppState>, p: PageActor, Query(q): Query<ListParams>) -> Response {
    render_list(&state, p, q, false).await
}

async fn critical_board(State(state): State<AppState>, p: PageActor, Query(q): Query<ListParams>) -> Response {
    render_list(&state, p, q, true).await
}

/// Display parameters of the viewer (window centre/width, zoom, invert).
#[derive(Deserialize, Default, Clone)]
struct ViewParams {
    wc: Option<String>,
    ww: Option<String>,
    zoom: Option<String>,
    invert: Option<String>,
}

/// One image of the viewer.
struct ImageView {
    instance: InstanceRow,
    src: String,
}

/// A window preset of the viewer: label, centre, width (for the synthetic 12-bit DR range).
struct Preset {
    label: &'static str,
    wc: i64,
    ww: i64,
}

const PRESETS: [Preset; 3] = [
    Preset {
        label: "肺窗 Lung",
        wc: 1600,
        ww: 2800,
    },
    Preset {
        label: "骨窗 Bone",
        wc: 2600,
        ww: 1800,
    },
    Preset {
        label: "软组织 Soft tissue",
        wc: 2200,
        ww: 3600,
    },
];

#[derive(Template, WebTemplate)]
#[template(path = "reading.html")]
struct DetailPage {
    t: Tr,
    nav: Option<Nav>,
    r: ReadingView,
    print: super::PrintHead,
    /// The viewer may sign the preliminary report.
    may_sign: bool,
    at_centre: bool,
    at_ordering: bool,
    can_report: bool,
    studies: Vec<(StudyView, Vec<ImageView>)>,
    ecgs: Vec<(EcgView, String)>,
    /// Template fields with the value of the report (or the draft): (field, value).
    fields: Vec<(TemplateField, String)>,
    draft: Report,
    view: ViewQuery,
    presets: &'static [Preset],
    error: Option<String>,
}

/// The viewer's current parameters as shown back in the form.
struct ViewQuery {
    wc: String,
    ww: String,
    zoom: u32,
    invert: bool,
}

async fn render_detail(state: &AppState, p: PageActor, id: &str, v: ViewParams, error: Option<String>, status: StatusCode) -> Response {
    let (r, media) = match service::detail(&state.app, &p.actor, id).await {
        Ok(d) => d,
        Err(e) => return p.error(e),
    };
    let own = p.actor.institution_id.clone().unwrap_or_default();
    let num = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| s.parse::<f64>().ok())
    };
    let (wc, ww) = (num(&v.wc), num(&v.ww).filter(|w| *w >= 1.0));
    let zoom = v.zoom.as_deref().and_then(|z| z.parse::<u32>().ok()).unwrap_or(100).clamp(25, 400);
    let invert = v.invert.as_deref() == Some("1");
    let mut query = String::from("size=1024");
    if let (Some(c), Some(w)) = (wc, ww) {
        query.push_str(&format!("&wc={c}&ww={w}"));
    }
    if invert {
        query.push_str("&invert=true");
    }
    let studies = media
        .studies
        .into_iter()
        .map(|(s, instances)| {
            let images = instances
                .into_iter()
                .map(|i| ImageView {
                    src: format!("/api/v1/imaging/instances/{}/rendered?{query}", i.id),
                    instance: i,
                })
                .collect();
            (s, images)
        })
        .collect();
    let ecgs = media.ecgs;
    let modality = service::parse_modality(&r.modality).unwrap_or(Modality::Dr);
    let template = modality.template();
    let draft = r.report.clone().unwrap_or_else(|| Report {
        findings: template.normal_findings.to_owned(),
        impression: template.normal_impression.to_owned(),
        fields: Default::default(),
    });
    (
        status,
        DetailPage {
            nav: Some(Nav::of(&p.actor, &p.t)),
            print: super::PrintHead::new(
                format!("{} · {}", r.reading_name, p.t.pick("影像/心电诊断报告", "Imaging / ECG report")),
                &format!("/readings/{}", r.id),
                &r.id,
            ),
            can_report: p.actor.role.can(sanyi_app::Permission::ReadingReport),
            may_sign: sanyi_app::readings::may_sign(&p.actor, &r),
            at_centre: r.reading_institution_id == own,
            at_ordering: r.ordering_institution_id == own,
            t: p.t,
            r,
            studies,
            ecgs,
            fields: template
                .fields
                .iter()
                .map(|f| (*f, draft.fields.get(f.key).cloned().unwrap_or_default()))
                .collect(),
            draft,
            view: ViewQuery {
                wc: wc.map(|c| c.to_string()).unwrap_or_default(),
                ww: ww.map(|w| w.to_string()).unwrap_or_default(),
                zoom,
                invert,
            },
            presets: &PRESETS,
            error,
        },
    )
        .into_response()
}

async fn detail(State(state): State<AppState>, p: PageActor, Path(id): Path<String>, Query(v): Query<ViewParams>) -> Response {
    render_detail(&state, p, &id, v, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
struct ActForm {
    action: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    impression: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    action_taken: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

async fn act(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<ActForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let report = (f.action == "preliminary").then(|| Report {
        findings: f.findings.trim().to_owned(),
        impression: f.impression.trim().to_owned(),
        fields: f
            .rest
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("field_").map(|k| (k.to_owned(), v.trim().to_owned())))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    });
    let input = ReadingCommandInput {
        command: f.action.clone(),
        report,
        finding: Some(f.finding.clone()),
        action: Some(f.action_taken.clone()),
        expected_version: f.version,
    };
    match service::apply(&state.app, &p.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/readings/{id}")).into_response(),
        Err(e) => match messages(&p.t, &e) {
            Some(msg) => render_detail(&state, p, &id, ViewParams::default(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await,
            None => p.error(e),
        },
    }
}

async fn upload(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Path(id): Path<String>, mut form: Multipart) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let reading = match service::get(&state.app, &p.actor, &id).await {
        Ok(r) => r,
        Err(e) => return p.error(e),
    };
    let mut files = Vec::new();
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file")
            && let Ok(b) = field.bytes().await
            && !b.is_empty()
        {
            files.push(b.to_vec());
        }
    }
    if files.is_empty() {
        let msg = p.t.pick("请选择要上传的文件", "Choose a file to upload").to_owned();
        return render_detail(&state, p, &id, ViewParams::default(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    for bytes in files {
        let result = if reading.modality == "ecg" {
            imaging::ingest_ecg(&state.app, &p.actor, &id, bytes).await.map(|_| ())
        } else {
            imaging::ingest_dicom(&state.app, &p.actor, bytes, Some(&id)).await.map(|_| ())
        };
        if let Err(e) = result {
            return match messages(&p.t, &e) {
                Some(msg) => render_detail(&state, p, &id, ViewParams::default(), Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await,
                None => p.error(e),
            };
        }
    }
    Redirect::to(&format!("/readings/{id}")).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "reading_new.html")]
struct NewPage {
    t: Tr,
    nav: Option<Nav>,
    /// What was typed (kept when the form comes back with errors).
    form: NewForm,
    errors: std::collections::HashMap<String, String>,
    /// The resident, by name and masked ID number.
    resident: String,
    /// Exams of the recognition catalogue a reading can be ordered as: (code, name).
    items: Vec<(String, String)>,
    /// Allowed re-test reasons.
    reasons: Vec<sanyi_app::recognition::ReasonView>,
}

impl super::FieldMessages for NewPage {
    fn messages(&self) -> &std::collections::HashMap<String, String> {
        &self.errors
    }
}

#[derive(Deserialize, Default)]
struct NewParams {
    resident: Option<String>,
}

async fn new_form(State(state): State<AppState>, p: PageActor, Query(q): Query<NewParams>) -> Response {
    let form = NewForm {
        resident_id: q.resident.unwrap_or_default(),
        body_part: "胸部".into(),
        ..NewForm::default()
    };
    render_new(&state, p, form, Vec::new()).await
}

async fn render_new(state: &AppState, p: PageActor, form: NewForm, errs: Vec<sanyi_app::FieldError>) -> Response {
    let items = match sanyi_app::recognition::imaging_items(&state.app, &p.actor).await {
        Ok(i) => i,
        Err(e) => return p.error(e),
    };
    let super::FormState { resident, status, errors } = match super::FormState::of(state, &p, &form.resident_id, &errs).await {
        Ok(f) => f,
        Err(e) => return p.error(e),
    };
    (
        status,
        NewPage {
            items,
            reasons: sanyi_app::recognition::retest_reasons(),
            nav: p.nav(),
            t: p.t,
            form,
            errors,
            resident,
        },
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct NewForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    modality: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    clinical_question: String,
    #[serde(default)]
    body_part: String,
    #[serde(default)]
    item_code: String,
    /// Re-test reason code when recognisable results exist.
    #[serde(default)]
    retest_reason: String,
    #[serde(default)]
    retest_note: String,
}

async fn create(State(state): State<AppState>, p: PageActor, headers: HeaderMap, Form(f): Form<NewForm>) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let input = ReadingOrderInput {
        resident_id: f.resident_id.clone(),
        modality: f.modality.clone(),
        urgency: Some(f.urgency.clone()).filter(|u| !u.is_empty()),
        reading_institution_id: None,
        clinical_question: f.clinical_question.clone(),
        body_part: f.body_part.clone(),
        item_code: Some(f.item_code.clone()).filter(|c| !c.is_empty()),
        decision: serde_json::from_value(serde_json::json!({"repeated": {"reason": f.retest_reason, "note": f.retest_note}}))
            .ok()
            .filter(|_| !f.retest_reason.is_empty()),
    };
    match service::order(&state.app, &p.actor, &input).await {
        Ok(r) => Redirect::to(&format!("/readings/{}", r.id)).into_response(),
        Err(ServiceError::Validation(errs) | ServiceError::Conflict(errs) | ServiceError::DecisionRequired { errors: errs, .. }) => {
            render_new(&state, p, f, errs).await
        }
        Err(e) => p.error(e),
    }
}
