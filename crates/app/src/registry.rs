//! The registry as users see it: pool → counties → medical communities → institution tree.

use serde::Serialize;
use utoipa::ToSchema;

use sanyi_store::registry::{self as repo, Institution};

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
    roots.sort_by_key(|i| (!leads.contains(i.id.as_str()), tier_rank(&i.tier), i.name.clone()));
    roots.into_iter().map(|r| node(r, items, leads, 0)).collect()
}

fn tier_rank(t: &str) -> u8 {
    match t {
        "county" => 0,
        "township" => 1,
        _ => 2,
    }
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
