//! The master patient index (居民主索引): register, find, read, edit and merge residents.
//!
//! Lists show masked ID and phone numbers; the full values appear only in [`ResidentDetail`],
//! whose every retrieval is audited.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::{AreaCode, Phone, ResidentId, mask_id_like};
use sanyi_store::residents::{self as repo, Enrolment, Household, Resident, ResidentChanges, ResidentQuery};
use sanyi_store::{Page, Paged, StoreError, registry};

use crate::error::Errors;
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// A resident as shown in lists: ID and phone masked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResidentSummary {
    /// Record id.
    pub id: String,
    /// County division code.
    pub division_code: String,
    /// Masked ID number, e.g. `652301********1234`.
    pub id_number_masked: String,
    /// Name.
    pub name: String,
    /// `male` or `female`.
    pub sex: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Age in whole years today.
    pub age: u32,
    /// Village code.
    pub village_code: String,
    /// Masked phone, e.g. `138****1234`.
    pub phone_masked: Option<String>,
    /// `active` or `merged`.
    pub status: String,
}

/// A resident's full record (the record page): every retrieval is audited.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResidentDetail {
    /// Record id.
    pub id: String,
    /// County division code.
    pub division_code: String,
    /// Full ID number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// `male` or `female`.
    pub sex: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Age in whole years today.
    pub age: u32,
    /// Full phone number.
    pub phone: Option<String>,
    /// Village code.
    pub village_code: String,
    /// Village name.
    pub village_name: Option<String>,
    /// Address below the village.
    pub address: String,
    /// Household registration number.
    pub household_no: Option<String>,
    /// Relation to the household head.
    pub household_role: Option<String>,
    /// Other members of the household (masked).
    pub household_members: Vec<ResidentSummary>,
    /// Insurance enrolment history.
    pub enrolments: Vec<EnrolmentView>,
    /// Merges this record took part in.
    pub merges: Vec<MergeView>,
    /// `active` or `merged`.
    pub status: String,
    /// The surviving record when merged.
    pub merged_into_id: Option<String>,
    /// Version for optimistic concurrency (send it back when editing).
    pub version: i64,
    /// Signed opinions of the resident's remote consultations (会诊意见), newest first.
    pub consultation_opinions: Vec<crate::consultations::RecordOpinion>,
    /// The resident's referrals and how they ended (转诊结果), newest first.
    pub referral_outcomes: Vec<crate::referrals::RecordReferral>,
}

/// An enrolment (参保) line.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// insutype code.
    pub insurance_type: String,
    /// Chinese label of the insurance type.
    pub insurance_type_zh: String,
    /// Year.
    pub year: i64,
    /// Status.
    pub status: String,
    /// Date of enrolment.
    pub enrolled_on: NaiveDate,
}

/// A merge in a record's history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MergeView {
    /// Surviving record.
    pub survivor_id: String,
    /// Merged record.
    pub merged_id: String,
    /// Masked ID number of the merged record as it was.
    pub merged_id_number_masked: String,
    /// Who merged.
    pub actor: String,
    /// When.
    pub merged_at: chrono::DateTime<Utc>,
}

/// Input to register a resident.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ResidentInput {
    /// Resident ID number (GB 11643), 18 characters.
    #[schema(pattern = r"^\s*[0-9]{17}[0-9Xx]\s*$")]
    pub id_number: String,
    /// Name.
    #[schema(pattern = r"\S", max_length = 50)]
    pub name: String,
    /// Phone (mobile or landline), optional.
    #[serde(default)]
    pub phone: Option<String>,
    /// 12-digit village code of the address.
    #[schema(pattern = r"^\s*[0-9]{12}\s*$")]
    pub village_code: String,
    /// Address below the village.
    #[serde(default)]
    pub address: String,
    /// Household registration number, optional.
    #[serde(default)]
    pub household_no: Option<String>,
    /// Relation to the household head, optional.
    #[serde(default)]
    pub household_role: Option<String>,
}

/// Input to edit a resident: the version read, and the new values.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ResidentUpdate {
    /// The version the edit is based on; a stale version is rejected with 409.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Phone, optional.
    #[serde(default)]
    pub phone: Option<String>,
    /// Village code.
    pub village_code: String,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// Household registration number, optional.
    #[serde(default)]
    pub household_no: Option<String>,
    /// Relation to the household head, optional.
    #[serde(default)]
    pub household_role: Option<String>,
}

/// Search parameters.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ResidentSearch {
    /// Exact ID number.
    pub id_number: Option<String>,
    /// Name prefix.
    pub name: Option<String>,
    /// Village or township code (prefix).
    pub area: Option<String>,
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Deterministic household id from county and registration number (so that imports and
/// registrations agree on it).
pub fn household_id(division: &str, household_no: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("sanyi:household:{division}:{household_no}").as_bytes(),
    )
    .to_string()
}

/// Validated resident fields.
pub struct Valid {
    /// ID number.
    pub id: ResidentId,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Village.
    pub village: AreaCode,
    /// Address.
    pub address: String,
    /// Household number.
    pub household_no: Option<String>,
    /// Household role.
    pub household_role: Option<String>,
}

/// Resident fields as typed by a user or read from a file.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawResident<'a> {
    /// ID number.
    pub id_number: &'a str,
    /// Name.
    pub name: &'a str,
    /// Phone.
    pub phone: Option<&'a str>,
    /// Village code.
    pub village_code: &'a str,
    /// Address.
    pub address: &'a str,
    /// Household number.
    pub household_no: Option<&'a str>,
    /// Relation to the household head.
    pub household_role: Option<&'a str>,
}

/// Checks the syntactic rules of each field; reports every failing field.
pub fn validate_fields(raw: RawResident<'_>, today: NaiveDate) -> Result<Valid, Vec<FieldError>> {
    let RawResident {
        id_number,
        name,
        phone,
        village_code,
        address,
        household_no,
        household_role,
    } = raw;
    let mut errs = Errors::default();
    let id = if id_number.trim().is_empty() {
        errs.push(FieldError::required("id_number"));
        None
    } else {
        errs.field("id_number", ResidentId::parse_on(id_number, today))
    };
    let name = name.trim();
    if name.is_empty() {
        errs.push(FieldError::required("name"));
    } else if name.chars().count() > 50 || name.chars().any(char::is_control) {
        errs.push(FieldError::new(
            "name",
            "name.length",
            "1 to 50 printable characters",
            "The name must have 1 to 50 printable characters",
            "姓名应为 1 至 50 个可打印字符",
        ));
    }
    let phone = match non_empty(phone) {
        Some(p) => errs.field("phone", Phone::parse(p)).map(Some),
        None => Some(None),
    };
    let village = if village_code.trim().is_empty() {
        errs.push(FieldError::required("village_code"));
        None
    } else {
        let v = errs.field("village_code", AreaCode::parse(village_code));
        if let Some(v) = &v
            && v.level() != sanyi_domain::AreaLevel::Village
        {
            errs.push(FieldError::new(
                "village_code",
                "area.village",
                "a village-level code (last 3 digits not 000)",
                "The code must name a village, not a township or county",
                "地址须填写到村（居）级代码",
            ));
        }
        v
    };
    if address.chars().count() > 200 {
        errs.push(FieldError::new(
            "address",
            "address.length",
            "at most 200 characters",
            "The address is too long",
            "地址过长",
        ));
    }
    let household_no = non_empty(household_no).map(str::to_owned);
    if let Some(h) = &household_no
        && (h.len() > 40 || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        errs.push(FieldError::new(
            "household_no",
            "household_no.format",
            "letters, digits or '-', at most 40",
            "Bad household number",
            "户号格式不正确",
        ));
    }
    let household_role = non_empty(household_role).map(str::to_owned);
    let errors = errs.0;
    match (id, phone, village) {
        (Some(id), Some(phone), Some(village)) if errors.is_empty() => Ok(Valid {
            id,
            name: name.to_owned(),
            phone,
            village,
            address: address.trim().to_owned(),
            household_no,
            household_role,
        }),
        _ => Err(errors),
    }
}

fn village_errors(field: &str, actor: &Actor, village: &AreaCode, known: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !known {
        errs.push(FieldError::new(
            field,
            "area.registered",
            "a village registered in the county",
            "Unknown village code: it is not registered in any county of this deployment",
            "未登记的村（居）代码",
        ));
    } else if !actor.scope.contains(village.as_str()) {
        errs.push(FieldError::new(
            field,
            "scope.area",
            &format!("a village under {}", actor.scope.prefix()),
            "The village lies outside the area you serve",
            "该村不在您的服务范围内",
        ));
    }
    errs
}

/// Registers a resident.
///
/// # Errors
/// `Forbidden` without write permission; `Validation` listing every bad field (including a
/// village that is unknown or outside the actor's area); `Conflict` when the ID number is already
/// registered in that county.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn register(app: &App, actor: &Actor, input: &ResidentInput) -> Result<ResidentDetail, ServiceError> {
    actor.require(Permission::ResidentWrite)?;
    let today = sanyi_domain::time::today();
    let raw = RawResident {
        id_number: &input.id_number,
        name: &input.name,
        phone: input.phone.as_deref(),
        village_code: &input.village_code,
        address: &input.address,
        household_no: input.household_no.as_deref(),
        household_role: input.household_role.as_deref(),
    };
    let v = validate_fields(raw, today).map_err(ServiceError::Validation)?;
    let known = registry::area(&app.db, v.village.as_str())
        .await?
        .is_some_and(|a| a.level == "village");
    let errs = village_errors("village_code", actor, &v.village, known);
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let division = v.village.county_code().as_str().to_owned();
    let now = Utc::now();
    let household = v.household_no.as_ref().map(|no| Household {
        division_code: division.clone(),
        id: household_id(&division, no),
        household_no: no.clone(),
        village_code: v.village.as_str().to_owned(),
        address: v.address.clone(),
    });
    let r = Resident {
        division_code: division.clone(),
        id: sanyi_store::new_id(),
        id_number: v.id.as_str().to_owned(),
        name: v.name.clone(),
        sex: sex_code(&v.id).into(),
        birth_date: v.id.birth_date(),
        phone: v.phone.as_ref().map(|p| p.as_str().to_owned()),
        village_code: v.village.as_str().to_owned(),
        address: v.address.clone(),
        household_id: household.as_ref().map(|h| h.id.clone()),
        household_role: v.household_role.clone(),
        status: "active".into(),
        merged_into_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let a = audit::entry(actor, &division, "create", "resident", &r.id, Some(&r.id), "registered");
    match repo::create(&app.db, &r, household.as_ref(), &a).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(vec![FieldError::new(
                "id_number",
                "unique",
                "an ID number not yet registered in the county",
                &format!("A resident with ID number {} is already registered", v.id.masked()),
                &format!("身份证号 {} 已登记", v.id.masked()),
            )]));
        }
        Err(e) => return Err(e.into()),
    }
    detail_of(app, actor, r, false).await
}

fn sex_code(id: &ResidentId) -> &'static str {
    match id.sex() {
        sanyi_domain::Sex::Male => "male",
        sanyi_domain::Sex::Female => "female",
    }
}

/// Summary view of a row.
pub fn summary(r: &Resident, today: NaiveDate) -> ResidentSummary {
    ResidentSummary {
        id: r.id.clone(),
        division_code: r.division_code.clone(),
        id_number_masked: mask_id_like(&r.id_number),
        name: r.name.clone(),
        sex: r.sex.clone(),
        birth_date: r.birth_date,
        age: age_on(r.birth_date, today),
        village_code: r.village_code.clone(),
        phone_masked: r.phone.as_deref().map(mask_phone),
        status: r.status.clone(),
    }
}

/// Masks a stored phone number (stored values were validated, so parsing succeeds).
pub fn mask_phone(p: &str) -> String {
    Phone::parse(p).map(|p| p.masked()).unwrap_or_else(|_| mask_id_like(p))
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    use chrono::Datelike;
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

async fn detail_of(app: &App, actor: &Actor, r: Resident, audit_read: bool) -> Result<ResidentDetail, ServiceError> {
    let today = sanyi_domain::time::today();
    let household = match &r.household_id {
        Some(h) => Some(
            repo::household_members(&app.db, &r.division_code, h)
                .await?
                .into_iter()
                .filter(|m| m.id != r.id && actor.scope.contains(&m.village_code))
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    let household_no = household_no_of(app, &r).await?;
    let enrolments = repo::enrolments_of(&app.db, &r.division_code, &r.id).await?;
    let merges = repo::merges_of(&app.db, &r.division_code, &r.id).await?;
    let village_name = registry::area(&app.db, &r.village_code).await?.map(|a| a.name);
    let consultation_opinions = crate::consultations::opinions_of(app, actor, &r.division_code, &r.id).await?;
    let referral_outcomes = crate::referrals::outcomes_of(app, actor, &r.id).await?;
    if audit_read {
        app.audit
            .record(audit::entry(
                actor,
                &r.division_code,
                "read",
                "resident",
                &r.id,
                Some(&r.id),
                "record page",
            ))
            .await?;
    }
    Ok(ResidentDetail {
        age: age_on(r.birth_date, today),
        household_members: household.unwrap_or_default().iter().map(|m| summary(m, today)).collect(),
        enrolments: enrolments.into_iter().map(enrolment_view).collect(),
        merges: merges
            .into_iter()
            .map(|m| MergeView {
                merged_id_number_masked: serde_json::from_str::<serde_json::Value>(&m.snapshot)
                    .ok()
                    .and_then(|v| v.get("id_number").and_then(|s| s.as_str()).map(mask_id_like))
                    .unwrap_or_default(),
                survivor_id: m.survivor_id,
                merged_id: m.merged_id,
                actor: m.actor_username,
                merged_at: m.merged_at,
            })
            .collect(),
        village_name,
        household_no,
        id: r.id,
        division_code: r.division_code,
        id_number: r.id_number,
        name: r.name,
        sex: r.sex,
        birth_date: r.birth_date,
        phone: r.phone,
        village_code: r.village_code,
        address: r.address,
        household_role: r.household_role,
        status: r.status,
        merged_into_id: r.merged_into_id,
        version: r.version,
        consultation_opinions,
        referral_outcomes,
    })
}

async fn household_no_of(app: &App, r: &Resident) -> Result<Option<String>, ServiceError> {
    let Some(hid) = &r.household_id else { return Ok(None) };
    Ok(sanyi_store::residents::household(&app.db, &r.division_code, hid)
        .await?
        .map(|h| h.household_no))
}

fn enrolment_view(e: Enrolment) -> EnrolmentView {
    let label = sanyi_domain::InsuranceType::parse(&e.insurance_type)
        .map(|t| t.label_zh().to_owned())
        .unwrap_or_default();
    EnrolmentView {
        insurance_type: e.insurance_type,
        insurance_type_zh: label,
        year: e.year,
        status: e.status,
        enrolled_on: e.enrolled_on,
    }
}

/// A resident's full record; the read is audited.
///
/// # Errors
/// `NotFound` when missing or outside the scope; `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ResidentDetail, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let r = repo::get(&app.db, &actor.scope, id).await?.ok_or(ServiceError::NotFound)?;
    detail_of(app, actor, r, true).await
}

/// One resident's summary (name, masked ID number) for a form that acts on them; the read is
/// audited, but the rest of the record (household, enrolments, opinions, referrals) is not loaded.
///
/// # Errors
/// `NotFound` when missing or outside the scope; `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn summary_of(app: &App, actor: &Actor, id: &str) -> Result<ResidentSummary, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let r = repo::get(&app.db, &actor.scope, id).await?.ok_or(ServiceError::NotFound)?;
    app.audit
        .record(audit::entry(
            actor,
            &r.division_code,
            "read",
            "resident",
            &r.id,
            Some(&r.id),
            "form",
        ))
        .await?;
    Ok(summary(&r, sanyi_domain::time::today()))
}

/// Searches residents in scope; lists are masked. A lookup by ID number audits a read of each
/// record found; other searches audit the search itself.
///
/// # Errors
/// `Forbidden` without read permission; `Validation` for a malformed ID number or area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn search(app: &App, actor: &Actor, s: &ResidentSearch, page: Page) -> Result<Paged<ResidentSummary>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let mut errs = Errors::default();
    let id_number = match non_empty(s.id_number.as_deref()) {
        Some(v) => errs.field("id_number", ResidentId::parse(v)).map(|id| id.as_str().to_owned()),
        None => None,
    };
    let area = non_empty(s.area.as_deref()).map(str::to_owned);
    if let Some(a) = &area
        && (a.len() > 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(FieldError::new(
            "area",
            "area.prefix",
            "up to 12 digits",
            "The area must be a statistical code or its prefix",
            "区域应为统计用区划代码或其前缀",
        ));
    }
    errs.finish()?;
    let today = sanyi_domain::time::today();
    let q = ResidentQuery {
        id_number: id_number.clone(),
        name: non_empty(s.name.as_deref()).map(str::to_owned),
        area,
        include_merged: false,
    };
    let page_rows = repo::search(&app.db, &actor.scope, &q, page).await?;
    if id_number.is_some() {
        for r in &page_rows.items {
            app.audit
                .record(audit::entry(
                    actor,
                    &r.division_code,
                    "lookup",
                    "resident",
                    &r.id,
                    Some(&r.id),
                    "by ID number",
                ))
                .await?;
        }
    } else {
        let detail = format!(
            "name={} area={} results={}",
            q.name.as_deref().map(|_| "*").unwrap_or(""),
            q.area.as_deref().unwrap_or(""),
            page_rows.total
        );
        app.audit
            .record(audit::entry(
                actor,
                actor.scope.division_prefix(),
                "search",
                "resident",
                "-",
                None,
                &detail,
            ))
            .await?;
    }
    Ok(Paged {
        items: page_rows.items.iter().map(|r| summary(r, today)).collect(),
        total: page_rows.total,
        offset: page_rows.offset,
        limit: page_rows.limit,
    })
}

/// Edits a resident with optimistic versioning.
///
/// # Errors
/// `Validation`, `NotFound`, `VersionConflict` (409), `Forbidden`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update(app: &App, actor: &Actor, id: &str, u: &ResidentUpdate) -> Result<ResidentDetail, ServiceError> {
    actor.require(Permission::ResidentWrite)?;
    let current = repo::get(&app.db, &actor.scope, id).await?.ok_or(ServiceError::NotFound)?;
    let today = sanyi_domain::time::today();
    let raw = RawResident {
        id_number: &current.id_number,
        name: &u.name,
        phone: u.phone.as_deref(),
        village_code: &u.village_code,
        address: &u.address,
        household_no: u.household_no.as_deref(),
        household_role: u.household_role.as_deref(),
    };
    let v = validate_fields(raw, today).map_err(ServiceError::Validation)?;
    let known = registry::area(&app.db, v.village.as_str())
        .await?
        .is_some_and(|a| a.level == "village");
    let mut errs = village_errors("village_code", actor, &v.village, known);
    if v.village.county_code().as_str() != current.division_code {
        errs.push(FieldError::new(
            "village_code",
            "area.same_county",
            &format!("a village of county {}", current.division_code),
            "Moving a resident to another county is a transfer, not an edit",
            "跨县迁移不能通过编辑完成",
        ));
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let household_id = match &v.household_no {
        Some(no) => {
            let hid = household_id(&current.division_code, no);
            if repo::household(&app.db, &current.division_code, &hid).await?.is_none() {
                repo::insert_batch(
                    &app.db,
                    &[Household {
                        division_code: current.division_code.clone(),
                        id: hid.clone(),
                        household_no: no.clone(),
                        village_code: v.village.as_str().into(),
                        address: v.address.clone(),
                    }],
                    &[],
                    None,
                )
                .await?;
            }
            Some(hid)
        }
        None => None,
    };
    let changes = ResidentChanges {
        name: v.name,
        phone: v.phone.map(|p| p.as_str().to_owned()),
        village_code: v.village.as_str().to_owned(),
        address: v.address,
        household_id,
        household_role: v.household_role,
    };
    let a = audit::entry(
        actor,
        &current.division_code,
        "update",
        "resident",
        id,
        Some(id),
        &format!("version {}", u.version),
    );
    let r = repo::update(&app.db, &actor.scope, id, u.version, &changes, &a)
        .await
        .map_err(|e| match e {
            StoreError::VersionConflict { current } => ServiceError::VersionConflict { current },
            other => other.into(),
        })?;
    detail_of(app, actor, r, false).await
}

/// Merges the duplicate record `merged_id` into `survivor_id`.
///
/// # Errors
/// `Forbidden` without the merge permission; `NotFound`; `Validation` when the records are the
/// same or in different counties.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn merge(app: &App, actor: &Actor, survivor_id: &str, merged_id: &str) -> Result<ResidentDetail, ServiceError> {
    actor.require(Permission::ResidentMerge)?;
    let survivor = repo::get(&app.db, &actor.scope, survivor_id).await?.ok_or(ServiceError::NotFound)?;
    let audits = [
        audit::entry(
            actor,
            &survivor.division_code,
            "merge",
            "resident",
            survivor_id,
            Some(survivor_id),
            &format!("absorbed {merged_id}"),
        ),
        audit::entry(
            actor,
            &survivor.division_code,
            "merge",
            "resident",
            merged_id,
            Some(merged_id),
            &format!("merged into {survivor_id}"),
        ),
    ];
    match repo::merge(&app.db, &actor.scope, survivor_id, merged_id, &actor.username, &audits).await {
        Ok(_) => {}
        Err(StoreError::Constraint {
            kind: sanyi_store::ConstraintKind::Check,
            ..
        }) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "merged_id",
                "merge.distinct_same_county",
                "another active record of the same county",
                "Only two different records of the same county can be merged",
                "只能合并同一县内的两条不同档案",
            )]));
        }
        Err(e) => return Err(e.into()),
    }
    let r = repo::get(&app.db, &actor.scope, survivor_id).await?.ok_or(ServiceError::NotFound)?;
    detail_of(app, actor, r, false).await
}

/// Input to record an insurance enrolment (参保登记).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EnrolmentInput {
    /// NHSA insutype: `310` employee basic, `390` urban-rural resident basic, ...
    #[schema(pattern = r"^\s*(310|320|330|390|392)\s*$")]
    pub insurance_type: String,
    /// Insurance year (2000 to next year).
    #[schema(minimum = 2000)]
    pub year: i64,
    /// `active`, `suspended` or `terminated` (default `active`).
    #[serde(default)]
    #[schema(pattern = r"^(active|suspended|terminated)$")]
    pub status: Option<String>,
    /// Date of enrolment (default today).
    #[serde(default)]
    pub enrolled_on: Option<NaiveDate>,
}

/// Records an enrolment for a resident in scope (insurance officers, administrators).
///
/// # Errors
/// `Forbidden`, `NotFound`, `Validation` (unknown type or status, year out of range), `Conflict`
/// when the resident already has that scheme for that year.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn enrol(app: &App, actor: &Actor, resident_id: &str, input: &EnrolmentInput) -> Result<ResidentDetail, ServiceError> {
    use chrono::Datelike;
    actor.require(Permission::EnrolmentWrite)?;
    let r = repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let today = sanyi_domain::time::today();
    let mut errs = Errors::default();
    let kind = errs.field("insurance_type", sanyi_domain::InsuranceType::parse(&input.insurance_type));
    let status = errs.field(
        "status",
        sanyi_domain::EnrolmentStatus::parse(input.status.as_deref().unwrap_or("active")),
    );
    let max_year = i64::from(today.year()) + 1;
    if !(2000..=max_year).contains(&input.year) {
        errs.push(FieldError::new(
            "year",
            "range",
            &format!("2000 to {max_year}"),
            "The insurance year is out of range",
            "参保年度超出范围",
        ));
    }
    errs.finish()?;
    let (Some(kind), Some(status)) = (kind, status) else {
        return Err(ServiceError::Validation(vec![]));
    };
    let e = Enrolment {
        division_code: r.division_code.clone(),
        id: sanyi_store::new_id(),
        resident_id: r.id.clone(),
        insurance_type: kind.code().to_owned(),
        year: input.year,
        status: status.code().to_owned(),
        enrolled_on: input.enrolled_on.unwrap_or(today),
    };
    let a = audit::entry(
        actor,
        &r.division_code,
        "enrol",
        "enrolment",
        &e.id,
        Some(&r.id),
        &format!("{} {}", e.insurance_type, e.year),
    );
    match repo::insert_enrolment(&app.db, &e, &a).await {
        Ok(()) => {}
        Err(err) if err.is_unique_violation() => {
            return Err(ServiceError::Conflict(vec![FieldError::new(
                "year",
                "unique",
                "one enrolment per scheme and year",
                &format!("Already enrolled in {} for {}", e.insurance_type, e.year),
                &format!("该居民 {} 年度已参加此险种", e.year),
            )]));
        }
        Err(err) => return Err(err.into()),
    }
    detail_of(app, actor, r, false).await
}

/// Active residents per county in the actor's scope: (county code, count), for the home page.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn count_by_county(app: &App, actor: &Actor) -> Result<Vec<(String, i64)>, ServiceError> {
    Ok(repo::count_by_county(&app.db, actor.scope.division_prefix()).await?)
}
