//! The registry as users see it: pool → counties → medical communities → institution tree.

use serde::Serialize;
use utoipa::ToSchema;

use sanyi_domain::Tier;
use sanyi_store::registry as repo;
pub use sanyi_store::registry::{Department, Institution, Staff};

use crate::{Actor, App, ServiceError};

/// An institution with the institutions under it (village clinics under their township centre).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InstitutionNode {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `county`, `township`, `village`.
    pub tier: String,
    /// Chinese label of the tier.
    pub tier_zh: String,
    /// Institution kind code.
    pub kind: String,
    /// Chinese label of the kind (WS 218 class).
    pub kind_zh: String,
    /// Unified social credit code.
    pub credit_code: Option<String>,
    /// NHSA designated-institution code.
    pub nhsa_code: Option<String>,
    /// Service area code.
    pub area_code: String,
    /// Legal person.
    pub legal_person: String,
    /// Licence holder.
    pub licence_holder: String,
    /// Insurance contract holder.
    pub contract_holder: String,
    /// Whether it leads its community.
    pub is_lead: bool,
    /// Institutions under this one.
    #[schema(no_recursion)]
    pub children: Vec<InstitutionNode>,
}

/// A medical community (医共体) and its member tree.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommunityTree {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Lead institution id.
    pub lead_institution_id: Option<String>,
    /// Member institutions, as a forest (roots are institutions without a parent).
    pub members: Vec<InstitutionNode>,
    /// Number of member institutions (all levels).
    pub member_count: usize,
}

/// A county with its communities.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CountyTree {
    /// County division code.
    pub division_code: String,
    /// Name.
    pub name: String,
    /// Communities.
    pub communities: Vec<CommunityTree>,
    /// Institutions of the county outside any community.
    pub unaffiliated: Vec<InstitutionNode>,
}

/// The institution tree of the counties the actor may see (its county, or the whole pool for
/// pool-level users). Every role may read it: it is how people find where to refer.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn tree(app: &App, actor: &Actor) -> Result<Vec<CountyTree>, ServiceError> {
    let prefix = actor.scope.division_prefix();
    let counties = repo::counties(&app.db).await?;
    let communities = repo::communities(&app.db, prefix).await?;
    let institutions = repo::institutions(&app.db, prefix).await?;
    let leads: std::collections::HashSet<&str> = communities.iter().filter_map(|c| c.lead_institution_id.as_deref()).collect();
    let mut out = Vec::new();
    for c in counties.iter().filter(|c| c.division_code.starts_with(prefix)) {
        let in_county: Vec<&Institution> = institutions.iter().filter(|i| i.division_code == c.division_code).collect();
        let comms = communities
            .iter()
            .filter(|m| m.division_code == c.division_code)
            .map(|m| {
                let members: Vec<&Institution> = in_county
                    .iter()
                    .copied()
                    .filter(|i| i.community_id.as_deref() == Some(&m.id))
                    .collect();
                CommunityTree {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    lead_institution_id: m.lead_institution_id.clone(),
                    member_count: members.len(),
                    members: forest(&members, &leads),
                }
            })
            .collect();
        let loose: Vec<&Institution> = in_county.iter().copied().filter(|i| i.community_id.is_none()).collect();
        out.push(CountyTree {
            division_code: c.division_code.clone(),
            name: c.name.clone(),
            communities: comms,
            unaffiliated: forest(&loose, &leads),
        });
    }
    Ok(out)
}

fn forest(items: &[&Institution], leads: &std::collections::HashSet<&str>) -> Vec<InstitutionNode> {
    let ids: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let mut roots: Vec<&Institution> = items
        .iter()
        .copied()
        .filter(|i| i.parent_id.as_deref().is_none_or(|p| !ids.contains(p)))
        .collect();
    // Lead first, then county, township, village; by name within a tier.
    // Lead institutions first, then the highest tier (county before township before village).
    roots.sort_by_key(|i| {
        (
            !leads.contains(i.id.as_str()),
            std::cmp::Reverse(Tier::parse(&i.tier).ok()),
            i.name.clone(),
        )
    });
    roots.into_iter().map(|r| node(r, items, leads, 0)).collect()
}

fn node(i: &Institution, all: &[&Institution], leads: &std::collections::HashSet<&str>, depth: usize) -> InstitutionNode {
    let mut children: Vec<InstitutionNode> = if depth < 8 {
        all.iter()
            .filter(|c| c.parent_id.as_deref() == Some(&i.id))
            .map(|c| node(c, all, leads, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    children.sort_by(|a, b| a.name.cmp(&b.name));
    let tier = sanyi_domain::Tier::parse(&i.tier).ok();
    let kind = sanyi_domain::InstitutionKind::parse(&i.kind).ok();
    InstitutionNode {
        id: i.id.clone(),
        name: i.name.clone(),
        tier: i.tier.clone(),
        tier_zh: tier.map(|t| t.label_zh().to_owned()).unwrap_or_default(),
        kind: i.kind.clone(),
        kind_zh: kind.map(|k| k.label_zh().to_owned()).unwrap_or_default(),
        credit_code: i.credit_code.clone(),
        nhsa_code: i.nhsa_code.clone(),
        area_code: i.area_code.clone(),
        legal_person: i.legal_person.clone(),
        licence_holder: i.licence_holder.clone(),
        contract_holder: i.contract_holder.clone(),
        is_lead: leads.contains(i.id.as_str()),
        children,
    }
}

/// Input to create an institution (administrators).
#[derive(Clone, Debug, serde::Deserialize, ToSchema)]
pub struct InstitutionInput {
    /// Name.
    #[schema(pattern = r"\S")]
    pub name: String,
    /// `county`, `township` or `village`.
    #[schema(pattern = r"^(county|township|village)$")]
    pub tier: String,
    /// WS 218 kind code, e.g. `township_health_centre`, `village_clinic`.
    #[schema(
        pattern = r"^(general_hospital|tcm_hospital|integrated_medicine_hospital|specialist_hospital|maternal_child_health|community_health_centre|community_health_station|central_township_health_centre|township_health_centre|village_clinic)$"
    )]
    pub kind: String,
    /// Service area: 12-digit statistical code of the county, township or village served.
    #[schema(pattern = r"^[0-9]{12}$")]
    pub area_code: String,
    /// Medical community it joins (same county), optional.
    #[serde(default)]
    pub community_id: Option<String>,
    /// Parent institution (a village clinic's township centre), optional.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Unified social credit code (GB 32100), optional.
    #[serde(default)]
    pub credit_code: Option<String>,
    /// NHSA designated-institution code, optional.
    #[serde(default)]
    pub nhsa_code: Option<String>,
    /// Legal person (法人).
    #[schema(pattern = r"\S")]
    pub legal_person: String,
    /// Licence holder (执业许可证持有者).
    #[schema(pattern = r"\S")]
    pub licence_holder: String,
    /// Insurance contract holder (医保协议主体).
    #[schema(pattern = r"\S")]
    pub contract_holder: String,
}

/// An institution's NHSA code belongs to its own county (positions 2–7).
fn check_nhsa_county(errs: &mut crate::Errors, nhsa: Option<&sanyi_domain::NhsaCode>, county: &str) {
    if let Some(n) = nhsa
        && n.division().as_str() != county
    {
        errs.push(crate::FieldError::new(
            "nhsa_code",
            "nhsa.county",
            &format!("an NHSA code of county {county}"),
            "The NHSA code belongs to another county",
            "医保编码不属于本县",
        ));
    }
}

/// 409: another institution of the county holds the NHSA code.
fn nhsa_code_taken() -> ServiceError {
    ServiceError::Conflict(vec![crate::FieldError::new(
        "nhsa_code",
        "unique",
        "an NHSA code not used in the county",
        "This NHSA code is already used",
        "该医保编码已被使用",
    )])
}

/// The name and the three holders of an institution are required (not blank).
fn require_names(errs: &mut crate::Errors, fields: [(&str, &String); 4]) {
    for (field, v) in fields {
        if v.trim().is_empty() {
            errs.push(crate::FieldError::required(field));
        }
    }
}

fn opt_text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Creates an institution in a registered area of the administrator's scope.
///
/// # Errors
/// `Forbidden`; `Validation` naming each bad field (codes, tier, kind, unknown area, parent or
/// community in another county); `Conflict` for an NHSA code already used in the county.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_institution(app: &App, actor: &Actor, input: &InstitutionInput) -> Result<Institution, ServiceError> {
    use crate::{Errors, FieldError, Permission};
    use sanyi_domain::{AreaCode, CreditCode, InstitutionKind, NhsaCode, Tier};
    actor.require(Permission::RegistryWrite)?;
    let mut errs = Errors::default();
    let name = input.name.trim();
    require_names(
        &mut errs,
        [
            ("name", &input.name),
            ("legal_person", &input.legal_person),
            ("licence_holder", &input.licence_holder),
            ("contract_holder", &input.contract_holder),
        ],
    );
    let tier = errs.field("tier", Tier::parse(&input.tier));
    let kind = errs.field("kind", InstitutionKind::parse(&input.kind));
    let area = errs.field("area_code", AreaCode::parse(&input.area_code));
    let credit = opt_text(&input.credit_code).and_then(|c| errs.field("credit_code", CreditCode::parse(c)));
    let nhsa = opt_text(&input.nhsa_code).and_then(|c| errs.field("nhsa_code", NhsaCode::parse(c)));
    errs.finish()?;
    let (Some(tier), Some(kind), Some(area)) = (tier, kind, area) else {
        return Err(ServiceError::Validation(Vec::new()));
    };
    let county = area.county_code().as_str().to_owned();
    let mut errs = Errors::default();
    let known = if area.level() == sanyi_domain::AreaLevel::County {
        repo::counties(&app.db).await?.iter().any(|c| c.division_code == county)
    } else {
        repo::area(&app.db, area.as_str()).await?.is_some()
    };
    if !known {
        errs.push(FieldError::new(
            "area_code",
            "area.registered",
            "a county, township or village registered in the deployment",
            "Unknown area code",
            "未登记的区划代码",
        ));
    } else if !area.as_str().starts_with(actor.scope.prefix())
        && !actor.scope.prefix().is_empty()
        && !area.scope_prefix().starts_with(actor.scope.prefix())
    {
        errs.push(FieldError::new(
            "area_code",
            "scope.area",
            &format!("an area under {}", actor.scope.prefix()),
            "The area lies outside your scope",
            "该区域不在您的管理范围内",
        ));
    }
    if let Some(p) = opt_text(&input.parent_id)
        && repo::institution(&app.db, p).await?.is_none_or(|i| i.division_code != county)
    {
        errs.push(FieldError::new(
            "parent_id",
            "institution.same_county",
            "an institution of the same county",
            "Unknown parent institution in this county",
            "本县不存在该上级机构",
        ));
    }
    if let Some(c) = opt_text(&input.community_id)
        && !repo::communities(&app.db, &county).await?.iter().any(|m| m.id == c)
    {
        errs.push(FieldError::new(
            "community_id",
            "community.same_county",
            "a medical community of the same county",
            "Unknown medical community in this county",
            "本县不存在该医共体",
        ));
    }
    check_nhsa_county(&mut errs, nhsa.as_ref(), &county);
    errs.finish()?;
    let now = chrono::Utc::now();
    let i = Institution {
        division_code: county,
        id: sanyi_store::new_id(),
        parent_id: opt_text(&input.parent_id).map(str::to_owned),
        community_id: opt_text(&input.community_id).map(str::to_owned),
        name: name.to_owned(),
        tier: tier.code().to_owned(),
        kind: kind.code().to_owned(),
        credit_code: credit.map(|c| c.as_str().to_owned()),
        nhsa_code: nhsa.map(|c| c.as_str().to_owned()),
        area_code: area.as_str().to_owned(),
        legal_person: input.legal_person.trim().to_owned(),
        licence_holder: input.licence_holder.trim().to_owned(),
        contract_holder: input.contract_holder.trim().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    match repo::insert_institution(&app.db, &i).await {
        Ok(()) => Ok(i),
        Err(e) if e.is_unique_violation() => Err(nhsa_code_taken()),
        Err(e) => Err(e.into()),
    }
}

/// Editable attributes of an institution, with the version they are based on.
#[derive(Clone, Debug, serde::Deserialize, ToSchema)]
pub struct InstitutionUpdate {
    /// Version read; a stale one gives 409.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Legal person.
    pub legal_person: String,
    /// Licence holder.
    pub licence_holder: String,
    /// Insurance contract holder.
    pub contract_holder: String,
    /// Unified social credit code (GB 32100), optional.
    pub credit_code: Option<String>,
    /// NHSA designated-institution code, optional.
    pub nhsa_code: Option<String>,
}

/// Edits an institution (administrators of its area) with the checks of [`create_institution`]:
/// required holders, valid codes, an NHSA code of the institution's own county and not used by
/// another institution (409 naming `nhsa_code`), and the version read (409 when stale).
///
/// # Errors
/// `Forbidden`, `NotFound` (outside the area), `Validation`, `Conflict`, `VersionConflict`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update_institution(app: &App, actor: &Actor, id: &str, u: &InstitutionUpdate) -> Result<Institution, ServiceError> {
    use crate::{Errors, Permission};
    use sanyi_domain::{CreditCode, NhsaCode};
    actor.require(Permission::RegistryWrite)?;
    let current = visible_institution(app, actor, id).await?;
    let mut errs = Errors::default();
    let name = u.name.trim().to_owned();
    require_names(
        &mut errs,
        [
            ("name", &u.name),
            ("legal_person", &u.legal_person),
            ("licence_holder", &u.licence_holder),
            ("contract_holder", &u.contract_holder),
        ],
    );
    let credit = opt_text(&u.credit_code).and_then(|c| errs.field("credit_code", CreditCode::parse(c)));
    let nhsa = opt_text(&u.nhsa_code).and_then(|c| errs.field("nhsa_code", NhsaCode::parse(c)));
    check_nhsa_county(&mut errs, nhsa.as_ref(), &current.division_code);
    errs.finish()?;
    let changes = repo::InstitutionChanges {
        name,
        legal_person: u.legal_person.trim().into(),
        licence_holder: u.licence_holder.trim().into(),
        contract_holder: u.contract_holder.trim().into(),
        credit_code: credit.map(|c| c.as_str().to_owned()),
        nhsa_code: nhsa.map(|c| c.as_str().to_owned()),
    };
    match repo::update_institution(&app.db, &current.id, u.version, &changes).await {
        Ok(i) => Ok(i),
        Err(e) if e.is_unique_violation() => Err(nhsa_code_taken()),
        Err(e) => Err(e.into()),
    }
}

/// Input to add a department.
#[derive(Clone, Debug, serde::Deserialize, ToSchema)]
pub struct DepartmentInput {
    /// Name.
    pub name: String,
    /// Specialty code, e.g. `neurology`, `radiology`, `ecg`, `general_practice`.
    pub specialty: String,
}

/// Adds a department to an institution (administrators).
///
/// # Errors
/// `Forbidden`, `NotFound`, `Validation`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_department(
    app: &App,
    actor: &Actor,
    institution_id: &str,
    d: &DepartmentInput,
) -> Result<sanyi_store::registry::Department, ServiceError> {
    use crate::{Errors, FieldError, Permission};
    actor.require(Permission::RegistryWrite)?;
    let inst = visible_institution(app, actor, institution_id).await?;
    let mut errs = Errors::default();
    if d.name.trim().is_empty() {
        errs.push(FieldError::required("name"));
    }
    let specialty = errs.field("specialty", sanyi_care::consultation::Specialty::parse(&d.specialty));
    errs.finish()?;
    let dept = sanyi_store::registry::Department {
        division_code: inst.division_code,
        id: sanyi_store::new_id(),
        institution_id: inst.id,
        name: d.name.trim().to_owned(),
        specialty: specialty.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    };
    repo::insert_department(&app.db, &dept).await?;
    Ok(dept)
}

/// Input to add a staff member.
#[derive(Clone, Debug, serde::Deserialize, ToSchema)]
pub struct StaffInput {
    /// Name.
    pub name: String,
    /// Profession: physician, nurse, technician, village_doctor, ...
    pub profession: String,
    /// Professional title (职称).
    pub title: String,
    /// Qualifications (执业资格).
    #[serde(default)]
    pub qualifications: Vec<String>,
    /// Post-owner institution (编制所在单位, same county); default: the working institution.
    #[serde(default)]
    pub post_institution_id: Option<String>,
    /// Department at the working institution.
    #[serde(default)]
    pub department_id: Option<String>,
}

/// Adds a staff member working at an institution (administrators).
///
/// # Errors
/// `Forbidden`, `NotFound`, `Validation`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_staff(
    app: &App,
    actor: &Actor,
    institution_id: &str,
    s: &StaffInput,
) -> Result<sanyi_store::registry::Staff, ServiceError> {
    use crate::{Errors, FieldError, Permission};
    actor.require(Permission::RegistryWrite)?;
    let inst = visible_institution(app, actor, institution_id).await?;
    let mut errs = Errors::default();
    for (field, v) in [("name", &s.name), ("profession", &s.profession), ("title", &s.title)] {
        if v.trim().is_empty() {
            errs.push(FieldError::required(field));
        }
    }
    let post = match opt_text(&s.post_institution_id) {
        Some(p) => match repo::institution(&app.db, p).await? {
            Some(i) if i.division_code == inst.division_code => i.id,
            _ => {
                errs.push(FieldError::new(
                    "post_institution_id",
                    "institution.same_county",
                    "an institution of the same county (staffing pool)",
                    "Unknown post-owner institution in this county",
                    "本县不存在该编制单位",
                ));
                String::new()
            }
        },
        None => inst.id.clone(),
    };
    if let Some(d) = opt_text(&s.department_id)
        && !repo::departments(&app.db, &inst.division_code, &inst.id)
            .await?
            .iter()
            .any(|x| x.id == d)
    {
        errs.push(FieldError::new(
            "department_id",
            "department.of_institution",
            "a department of the working institution",
            "Unknown department",
            "该机构没有此科室",
        ));
    }
    errs.finish()?;
    let staff = sanyi_store::registry::Staff {
        division_code: inst.division_code.clone(),
        id: sanyi_store::new_id(),
        name: s.name.trim().to_owned(),
        profession: s.profession.trim().to_owned(),
        title: s.title.trim().to_owned(),
        qualifications: serde_json::to_string(&s.qualifications).unwrap_or_else(|_| "[]".into()),
        post_institution_id: post,
        working_institution_id: inst.id,
        department_id: opt_text(&s.department_id).map(str::to_owned),
        version: 1,
    };
    repo::insert_staff(&app.db, &staff).await?;
    Ok(staff)
}

/// An institution in the counties the actor may see.
///
/// # Errors
/// `NotFound` otherwise.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn visible_institution(app: &App, actor: &Actor, id: &str) -> Result<Institution, ServiceError> {
    repo::institution(&app.db, id)
        .await?
        .filter(|i| i.division_code.starts_with(actor.scope.division_prefix()))
        .ok_or(ServiceError::NotFound)
}

/// The division codes of the insurance pools (统筹区) the platform holds.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn pools(app: &App) -> Result<Vec<String>, ServiceError> {
    Ok(repo::pools(&app.db).await?.into_iter().map(|p| p.division_code).collect())
}

/// The name of a pool (e.g. 昌吉回族自治州), none for an unknown code.
///
/// # Errors
/// On a database error.
pub async fn pool_name(app: &App, code: &str) -> Result<Option<String>, ServiceError> {
    Ok(sanyi_store::registry::pools(&app.db)
        .await?
        .into_iter()
        .find(|p| p.division_code == code)
        .map(|p| p.name))
}

/// The ids of the communities of a county (for the operator's commands).
///
/// # Errors
/// On a database error.
pub async fn communities_of(app: &App, county: &str) -> Result<Vec<String>, ServiceError> {
    Ok(repo::communities(&app.db, county).await?.into_iter().map(|c| c.id).collect())
}

/// The departments of an institution the actor may see.
///
/// # Errors
/// `NotFound` when the institution is outside the actor's counties.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn departments(app: &App, actor: &Actor, institution: &str) -> Result<Vec<Department>, ServiceError> {
    let i = visible_institution(app, actor, institution).await?;
    Ok(repo::departments(&app.db, &i.division_code, &i.id).await?)
}

/// The staff working at an institution the actor may see (their post-owner institution may
/// differ: the community's staffing pool, 编制池).
///
/// # Errors
/// `NotFound` when the institution is outside the actor's counties.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn staff(app: &App, actor: &Actor, institution: &str) -> Result<Vec<Staff>, ServiceError> {
    let i = visible_institution(app, actor, institution).await?;
    Ok(repo::staff_working_at(&app.db, &i.division_code, &i.id).await?)
}

/// The institutions of the counties in the actor's scope.
///
/// # Errors
/// Store errors.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn institutions(app: &App, actor: &Actor) -> Result<Vec<Institution>, ServiceError> {
    Ok(repo::institutions(&app.db, actor.scope.division_prefix()).await?)
}

/// The villages (行政村) in the actor's scope, each with its county's name: the service areas the
/// resident forms offer, as (area code, "county · village").
///
/// # Errors
/// Store errors.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn villages(app: &App, actor: &Actor) -> Result<Vec<(String, String)>, ServiceError> {
    let prefix = actor.scope.prefix();
    let mut out = Vec::new();
    for c in repo::counties(&app.db).await? {
        if !c.division_code.starts_with(actor.scope.division_prefix()) {
            continue;
        }
        let area_prefix = if prefix.len() > 6 { prefix } else { c.division_code.as_str() };
        for v in repo::areas(&app.db, &c.division_code, area_prefix).await? {
            if v.level == "village" {
                out.push((v.code, format!("{} · {}", c.name, v.name)));
            }
        }
    }
    Ok(out)
}

/// The subtree of an institution among those of the counties under `area`: the institution, the
/// institutions below it (by `parent_id`, e.g. a township centre's village clinics) and, for the
/// lead institution of a medical community (医共体牵头医院), every member of the community with
/// theirs.
///
/// # Errors
/// `NotFound` when `root` is not an institution of `area`.
#[tracing::instrument(skip_all)]
pub async fn subtree(app: &App, area: &str, root: &str) -> Result<std::collections::HashSet<String>, ServiceError> {
    let institutions = repo::institutions(&app.db, area).await?;
    if !institutions.iter().any(|i| i.id == root) {
        return Err(ServiceError::NotFound);
    }
    let led: Vec<String> = repo::communities(&app.db, area)
        .await?
        .into_iter()
        .filter(|c| c.lead_institution_id.as_deref() == Some(root))
        .map(|c| c.id)
        .collect();
    let mut set: std::collections::HashSet<String> = institutions
        .iter()
        .filter(|i| i.id == root || i.community_id.as_ref().is_some_and(|c| led.contains(c)))
        .map(|i| i.id.clone())
        .collect();
    loop {
        let before = set.len();
        for i in &institutions {
            if i.parent_id.as_ref().is_some_and(|p| set.contains(p)) {
                set.insert(i.id.clone());
            }
        }
        if set.len() == before {
            return Ok(set);
        }
    }
}

/// Institutions of one county and tier, as a picker groups them (`<optgroup>`).
#[derive(Clone, Debug, Serialize)]
pub struct InstitutionGroup {
    /// "昌吉市 · 县级".
    pub label_zh: String,
    /// "Changji · County".
    pub label_en: String,
    /// (id, name), by name.
    pub options: Vec<(String, String)>,
}

/// Groups institutions by county and tier (county hospitals first) for a picker.
///
/// # Errors
/// Store errors.
pub async fn grouped(app: &App, institutions: Vec<Institution>) -> Result<Vec<InstitutionGroup>, ServiceError> {
    let counties = repo::counties(&app.db).await?;
    let county_name = |code: &str| {
        counties
            .iter()
            .find(|c| c.division_code == code)
            .map_or_else(|| code.to_owned(), |c| c.name.clone())
    };
    let tier_rank = |t: &str| match t {
        "county" => 0,
        "township" => 1,
        _ => 2,
    };
    let mut groups: std::collections::BTreeMap<(String, u8, String), Vec<(String, String)>> = std::collections::BTreeMap::new();
    for i in institutions {
        groups
            .entry((i.division_code.clone(), tier_rank(&i.tier), i.tier.clone()))
            .or_default()
            .push((i.id, i.name));
    }
    Ok(groups
        .into_iter()
        .map(|((county, _, tier), mut options)| {
            options.sort_by(|a, b| a.1.cmp(&b.1));
            let name = county_name(&county);
            InstitutionGroup {
                label_zh: format!("{name} · {}", crate::labels::name("tier", &tier, false)),
                label_en: format!("{name} · {}", crate::labels::name("tier", &tier, true)),
                options,
            }
        })
        .collect())
}
