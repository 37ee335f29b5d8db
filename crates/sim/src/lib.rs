//! Deterministic synthetic prefecture for the demo (演示地区), modelled on the Changji facts of
//! docs/rules/institutions.md#reference-counties: a city medical community with a lead hospital, a TCM hospital, 2 community
//! health centres, 6 township health centres and 35 village clinics, plus two more counties with
//! their own communities; residents with a realistic age pyramid, valid resident ID numbers
//! matching their county and birth date, households, insurance enrolment; staff and a user for
//! every role.
//!
//! The same parameters give the same world, byte for byte (ChaCha8 seeded generator, UUIDv5 ids).
//! All names and numbers are invented.

mod names;

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sanyi_domain::{AreaCode, CreditCode, DivisionCode, NhsaCode, ResidentId};
use sanyi_store::registry::{Area, Community, County, Department, Institution, Pool, Staff};
use sanyi_store::residents::{Enrolment, Household, Resident};

/// What to generate.
#[derive(Clone, Debug)]
pub struct DemoParams {
    /// Number of residents (split between counties by population weight).
    pub residents: usize,
    /// Random seed.
    pub seed: u64,
    /// Share of residents aged 65 or more, in basis points (default 1 300 = 13 %).
    pub share_65_bp: u32,
    /// "Today" of the demo (birth dates and enrolment year derive from it).
    pub today: NaiveDate,
}

impl Default for DemoParams {
    fn default() -> Self {
        DemoParams {
            residents: 20_000,
            seed: 2026,
            share_65_bp: 1_300,
            today: Utc::now().date_naive(),
        }
    }
}

/// A demo login to create.
#[derive(Clone, Debug)]
pub struct DemoUser {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: &'static str,
    /// County (or pool) code.
    pub division_code: String,
    /// Institution.
    pub institution_id: Option<String>,
    /// Area scope prefix.
    pub scope_area: String,
    /// One line on what this user shows.
    pub note: &'static str,
}

/// The generated prefecture.
#[derive(Clone, Debug, Default)]
pub struct DemoWorld {
    /// The insurance pool.
    pub pool: Option<Pool>,
    /// Counties.
    pub counties: Vec<County>,
    /// Townships and villages.
    pub areas: Vec<Area>,
    /// Medical communities.
    pub communities: Vec<Community>,
    /// Institutions.
    pub institutions: Vec<Institution>,
    /// Departments.
    pub departments: Vec<Department>,
    /// Staff.
    pub staff: Vec<Staff>,
    /// Households.
    pub households: Vec<Household>,
    /// Residents.
    pub residents: Vec<Resident>,
    /// Insurance enrolments.
    pub enrolments: Vec<Enrolment>,
    /// Logins for every role.
    pub users: Vec<DemoUser>,
}

struct CountySpec {
    code: &'static str,
    name: &'static str,
    lead: &'static str,
    tcm: &'static str,
    streets: &'static [&'static str],
    townships: &'static [&'static str],
    villages_per_township: &'static [usize],
    population_weight: u32,
}

const POOL_CODE: &str = "652300";

const COUNTIES: &[CountySpec] = &[
    CountySpec {
        code: "652301",
        name: "昌吉市",
        lead: "昌吉市人民医院",
        tcm: "昌吉市中医医院",
        streets: &["宁边路街道", "延安北路街道"],
        townships: &["六工镇", "滨湖镇", "大西渠镇", "佃坝镇", "三工镇", "榆树沟镇"],
        villages_per_township: &[6, 6, 6, 6, 6, 5],
        population_weight: 60,
    },
    CountySpec {
        code: "652302",
        name: "阜康市",
        lead: "阜康市人民医院",
        tcm: "阜康市中医医院",
        streets: &[],
        townships: &["城关镇", "九运街镇", "滋泥泉子镇", "上户沟乡"],
        villages_per_township: &[4, 4, 4, 4],
        population_weight: 20,
    },
    CountySpec {
        code: "652323",
        name: "呼图壁县",
        lead: "呼图壁县人民医院",
        tcm: "呼图壁县中医医院",
        streets: &[],
        townships: &["呼图壁镇", "大丰镇", "雀尔沟镇", "五工台镇"],
        villages_per_township: &[4, 4, 4, 4],
        population_weight: 20,
    },
];

struct Gen {
    rng: ChaCha8Rng,
    ns: uuid::Uuid,
}

impl Gen {
    fn id(&self, key: &str) -> String {
        uuid::Uuid::new_v5(&self.ns, key.as_bytes()).to_string()
    }
}

fn at(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap_or_default())
}

/// Generates the demo prefecture.
pub fn generate(p: &DemoParams) -> DemoWorld {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(p.seed),
        ns: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("sanyi-demo-{}", p.seed).as_bytes()),
    };
    let created = at(p.today - Days::new(400));
    let mut w = DemoWorld {
        pool: Some(Pool {
            division_code: POOL_CODE.into(),
            name: "昌吉回族自治州医保统筹区（演示）".into(),
        }),
        ..Default::default()
    };
    let total_weight: u32 = COUNTIES.iter().map(|c| c.population_weight).sum();
    let mut villages_by_county: Vec<Vec<String>> = Vec::new();
    for (ci, spec) in COUNTIES.iter().enumerate() {
        let county = DivisionCode::parse(spec.code).expect("valid demo county code");
        w.counties.push(County {
            division_code: spec.code.into(),
            pool_code: POOL_CODE.into(),
            name: spec.name.into(),
        });
        let community_id = g.id(&format!("community/{}", spec.code));
        w.communities.push(Community {
            division_code: spec.code.into(),
            id: community_id.clone(),
            name: format!("{}紧密型县域医共体", spec.name),
            lead_institution_id: None,
        });
        let mut serial = 1u32;
        let mut inst =
            |g: &mut Gen, w: &mut DemoWorld, name: String, tier: &str, kind: &str, area: &AreaCode, parent: Option<String>| -> String {
                let id = g.id(&format!("institution/{}/{}", spec.code, name));
                let body: String = (0..8).map(|_| char::from(b'0' + g.rng.random_range(0..10u8))).collect();
                let credit = CreditCode::from_parts('1', '2', &county, &body).ok().map(|c| c.as_str().to_owned());
                let nhsa = NhsaCode::from_parts(false, &county, serial).ok().map(|c| c.as_str().to_owned());
                serial += 1;
                // Village clinics are run and contracted through their township centre (乡村一体化).
                let holder = if tier == "village" {
                    format!(
                        "{}（代管）",
                        w.institutions
                            .iter()
                            .find(|i| Some(&i.id) == parent.as_ref())
                            .map(|i| i.name.clone())
                            .unwrap_or_default()
                    )
                } else {
                    name.clone()
                };
                w.institutions.push(Institution {
                    division_code: spec.code.into(),
                    id: id.clone(),
                    parent_id: parent,
                    community_id: Some(community_id.clone()),
                    name: name.clone(),
                    tier: tier.into(),
                    kind: kind.into(),
                    credit_code: credit,
                    nhsa_code: nhsa,
                    area_code: area.as_str().into(),
                    legal_person: if tier == "village" { holder.clone() } else { name.clone() },
                    licence_holder: name.clone(),
                    contract_holder: holder,
                    version: 1,
                    created_at: created,
                    updated_at: created,
                });
                id
            };
        let county_area = AreaCode::county(&county);
        let lead = inst(&mut g, &mut w, spec.lead.into(), "county", "general_hospital", &county_area, None);
        w.communities[ci].lead_institution_id = Some(lead.clone());
        let tcm = inst(&mut g, &mut w, spec.tcm.into(), "county", "tcm_hospital", &county_area, None);
        for (dept, specialty) in [
            ("神经内科", "neurology"),
            ("心血管内科", "cardiology"),
            ("普通外科", "general_surgery"),
            ("医学影像中心", "radiology"),
            ("心电诊断中心", "ecg"),
            ("急诊科", "emergency"),
            ("远程会诊中心", "consultation"),
        ] {
            w.departments.push(Department {
                division_code: spec.code.into(),
                id: g.id(&format!("dept/{lead}/{dept}")),
                institution_id: lead.clone(),
                name: dept.into(),
                specialty: specialty.into(),
            });
        }
        w.departments.push(Department {
            division_code: spec.code.into(),
            id: g.id(&format!("dept/{tcm}/中医内科")),
            institution_id: tcm.clone(),
            name: "中医内科".into(),
            specialty: "tcm_internal".into(),
        });
        let mut villages = Vec::new();
        let mut township_no = 1u16;
        let mut first_township = None;
        let mut first_village = None;
        // Urban streets: a community health centre each, residents in neighbourhood committees.
        for street in spec.streets {
            let t_area = AreaCode::township(&county, township_no).expect("township code");
            w.areas.push(Area {
                division_code: spec.code.into(),
                code: t_area.as_str().into(),
                name: (*street).into(),
                level: "township".into(),
                parent_code: Some(county_area.as_str().into()),
            });
            let chc = inst(
                &mut g,
                &mut w,
                format!("{street}社区卫生服务中心"),
                "township",
                "community_health_centre",
                &t_area,
                None,
            );
            w.departments.push(Department {
                division_code: spec.code.into(),
                id: g.id(&format!("dept/{chc}/全科")),
                institution_id: chc.clone(),
                name: "全科".into(),
                specialty: "general_practice".into(),
            });
            for v in 1..=3u16 {
                let v_area = AreaCode::village(&county, township_no, v).expect("village code");
                w.areas.push(Area {
                    division_code: spec.code.into(),
                    code: v_area.as_str().into(),
                    name: format!("{}第{}社区", street.trim_end_matches("街道"), v),
                    level: "village".into(),
                    parent_code: Some(t_area.as_str().into()),
                });
                villages.push(v_area.as_str().to_owned());
            }
            township_no += 1;
        }
        for (ti, township) in spec.townships.iter().enumerate() {
            let t_area = AreaCode::township(&county, 100 + township_no).expect("township code");
            w.areas.push(Area {
                division_code: spec.code.into(),
                code: t_area.as_str().into(),
                name: (*township).into(),
                level: "township".into(),
                parent_code: Some(county_area.as_str().into()),
            });
            let kind = if ti == 0 {
                "central_township_health_centre"
            } else {
                "township_health_centre"
            };
            let centre = inst(&mut g, &mut w, format!("{township}卫生院"), "township", kind, &t_area, None);
            first_township.get_or_insert((centre.clone(), t_area.scope_prefix().to_owned()));
            for (dept, specialty) in [
                ("全科", "general_practice"),
                ("公共卫生科", "public_health"),
                ("放射科", "radiology"),
            ] {
                w.departments.push(Department {
                    division_code: spec.code.into(),
                    id: g.id(&format!("dept/{centre}/{dept}")),
                    institution_id: centre.clone(),
                    name: dept.into(),
                    specialty: specialty.into(),
                });
            }
            for v in 1..=spec.villages_per_township[ti] as u16 {
                let v_area = AreaCode::village(&county, 100 + township_no, 200 + v).expect("village code");
                let vname = format!(
                    "{}{}村",
                    township.trim_end_matches(['镇', '乡']),
                    names::VILLAGE_NAMES[(ti * 7 + v as usize) % names::VILLAGE_NAMES.len()]
                );
                w.areas.push(Area {
                    division_code: spec.code.into(),
                    code: v_area.as_str().into(),
                    name: vname.clone(),
                    level: "village".into(),
                    parent_code: Some(t_area.as_str().into()),
                });
                let clinic = inst(
                    &mut g,
                    &mut w,
                    format!("{vname}卫生室"),
                    "village",
                    "village_clinic",
                    &v_area,
                    Some(centre.clone()),
                );
                first_village.get_or_insert((clinic.clone(), v_area.as_str().to_owned()));
                villages.push(v_area.as_str().to_owned());
            }
            township_no += 1;
        }
        staff_for_county(&mut g, &mut w, spec.code, &lead);
        if ci == 0 {
            let (town_id, town_area) = first_township.clone().expect("a township");
            let (village_id, village_area) = first_village.clone().expect("a village");
            let c = spec.code.to_owned();
            let user =
                |username: &str, display: &str, role: &'static str, inst: Option<&String>, scope: &str, note: &'static str| DemoUser {
                    username: username.into(),
                    display_name: display.into(),
                    role,
                    division_code: if inst.is_some() { c.clone() } else { POOL_CODE.into() },
                    institution_id: inst.cloned(),
                    scope_area: scope.into(),
                    note,
                };
            w.users = vec![
                user(
                    "admin",
                    "州管理员 张卫",
                    "administrator",
                    None,
                    "6523",
                    "administrator of the whole pool: registry, import, audit log",
                ),
                user(
                    "county_admin",
                    "市管理员 李平",
                    "administrator",
                    Some(&lead),
                    &c,
                    "administrator of 昌吉市",
                ),
                user(
                    "village_doctor",
                    "乡村医生 王秀兰",
                    "village_doctor",
                    Some(&village_id),
                    &village_area,
                    "sees the residents of one village",
                ),
                user(
                    "township_doctor",
                    "卫生院医生 刘建国",
                    "township_doctor",
                    Some(&town_id),
                    &town_area,
                    "sees the residents of one township",
                ),
                user(
                    "specialist",
                    "神经内科主任 陈明",
                    "county_specialist",
                    Some(&lead),
                    &c,
                    "county specialist at the lead hospital",
                ),
                user(
                    "cardiologist",
                    "心血管内科主任 杨帆",
                    "county_specialist",
                    Some(&lead),
                    &c,
                    "second county specialist (MDT consultations)",
                ),
                user(
                    "reader",
                    "影像诊断医生 赵静",
                    "reader",
                    Some(&lead),
                    &c,
                    "reader at the shared imaging/ECG centre",
                ),
                user(
                    "reviewer",
                    "影像审核医生 孙涛",
                    "reader",
                    Some(&lead),
                    &c,
                    "second reader who reviews and signs imaging reports",
                ),
                user(
                    "nurse",
                    "护士 马丽",
                    "nurse",
                    Some(&town_id),
                    &town_area,
                    "township nurse (home care)",
                ),
                user(
                    "insurance",
                    "医保经办 周强",
                    "insurance_officer",
                    None,
                    "6523",
                    "insurance bureau of the pool",
                ),
                user(
                    "insurance_chief",
                    "医保复核 郑敏",
                    "insurance_officer",
                    None,
                    "6523",
                    "second insurance officer who approves settlement runs",
                ),
                user(
                    "procurement",
                    "药品采购 吴芳",
                    "procurement_officer",
                    Some(&lead),
                    &c,
                    "procurement officer and central pharmacy (dispenses prescriptions; no resident records)",
                ),
            ];
        }
        villages_by_county.push(villages);
    }
    // Residents, split by population weight, in households within a village.
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut remaining = p.residents;
    for (ci, spec) in COUNTIES.iter().enumerate() {
        let n = if ci + 1 == COUNTIES.len() {
            remaining
        } else {
            p.residents * spec.population_weight as usize / total_weight as usize
        };
        remaining -= n.min(remaining);
        residents_for_county(&mut g, &mut w, p, spec.code, &villages_by_county[ci], n, &mut used_ids);
    }
    w
}

fn staff_for_county(g: &mut Gen, w: &mut DemoWorld, county: &str, lead: &str) {
    let insts: Vec<(String, String, String)> = w
        .institutions
        .iter()
        .filter(|i| i.division_code == county)
        .map(|i| (i.id.clone(), i.tier.clone(), i.name.clone()))
        .collect();
    for (id, tier, _name) in insts {
        let roles: &[(&str, &str, &str)] = match tier.as_str() {
            "county" => &[
                ("physician", "主任医师", "执业医师"),
                ("physician", "副主任医师", "执业医师"),
                ("physician", "主治医师", "执业医师"),
                ("nurse", "主管护师", "护士执业证书"),
                ("technician", "主管技师", "放射技师"),
            ],
            "township" => &[
                ("physician", "主治医师", "执业医师"),
                ("physician", "医师", "执业助理医师"),
                ("nurse", "护师", "护士执业证书"),
            ],
            _ => &[("village_doctor", "乡村医生", "乡村医生执业证书")],
        };
        for (k, (profession, title, qual)) in roles.iter().enumerate() {
            let male = g.rng.random_bool(0.5);
            let name = names::person_name(&mut g.rng, male);
            // Staffing pool (县管乡用): some township doctors hold a county post.
            let post = if tier == "township" && k == 0 {
                lead.to_owned()
            } else {
                id.clone()
            };
            w.staff.push(Staff {
                division_code: county.into(),
                id: g.id(&format!("staff/{id}/{k}")),
                name,
                profession: (*profession).into(),
                title: (*title).into(),
                qualifications: format!("[\"{qual}\"]"),
                post_institution_id: post,
                working_institution_id: id.clone(),
                department_id: None,
                version: 1,
            });
        }
    }
}

fn residents_for_county(
    g: &mut Gen,
    w: &mut DemoWorld,
    p: &DemoParams,
    county: &str,
    villages: &[String],
    n: usize,
    used: &mut HashSet<String>,
) {
    let division = DivisionCode::parse(county).expect("county code");
    let share65 = f64::from(p.share_65_bp) / 10_000.0;
    let year = p.today.year();
    let created = at(p.today - Days::new(200));
    let mut made = 0;
    let mut household_serial = 0u32;
    while made < n {
        let village = &villages[g.rng.random_range(0..villages.len())];
        household_serial += 1;
        let household_no = format!("{}{:06}", &village[6..], household_serial);
        let hid = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("sanyi:household:{county}:{household_no}").as_bytes(),
        )
        .to_string();
        let size = [1usize, 2, 2, 3, 3, 3, 4, 4, 5][g.rng.random_range(0..9)].min(n - made);
        let address = format!("{}组{}号", g.rng.random_range(1..12), g.rng.random_range(1..200));
        w.households.push(Household {
            division_code: county.into(),
            id: hid.clone(),
            household_no,
            village_code: village.clone(),
            address: address.clone(),
        });
        let surname = names::surname(&mut g.rng);
        for k in 0..size {
            let age: u32 = if g.rng.random_bool(share65) {
                // 65+: fewer at each older age.
                65 + (g.rng.random::<f64>().powf(1.6) * 35.0) as u32
            } else {
                g.rng.random_range(0..65)
            };
            let male = g.rng.random_bool(0.51);
            let birth = birth_date(&mut g.rng, p.today, age);
            let id = loop {
                let seq = g.rng.random_range(0..500u16) * 2 + u16::from(male);
                let Ok(id) = ResidentId::from_parts(&division, birth, seq) else {
                    continue;
                };
                if used.insert(id.as_str().to_owned()) {
                    break id;
                }
            };
            let role = match k {
                0 => "户主",
                1 => "配偶",
                _ => "子女",
            };
            let given = names::given_name(&mut g.rng, male);
            let rid = g.id(&format!("resident/{}", id.as_str()));
            let phone = g.rng.random_bool(0.7).then(|| {
                let second = [3, 5, 7, 8, 9][g.rng.random_range(0..5)];
                format!("1{second}{:09}", g.rng.random_range(0..1_000_000_000u32))
            });
            w.residents.push(Resident {
                division_code: county.into(),
                id: rid.clone(),
                id_number: id.as_str().into(),
                name: format!("{surname}{given}"),
                sex: if male { "male".into() } else { "female".into() },
                birth_date: birth,
                phone,
                village_code: village.clone(),
                address: address.clone(),
                household_id: Some(hid.clone()),
                household_role: Some(role.into()),
                status: "active".into(),
                merged_into_id: None,
                version: 1,
                created_at: created,
                updated_at: created,
            });
            let r: f64 = g.rng.random();
            let scheme = if (18..60).contains(&age) && r < 0.25 {
                Some("310")
            } else if r < 0.97 {
                Some("390")
            } else {
                None
            };
            if let Some(scheme) = scheme {
                for y in [year - 1, year] {
                    w.enrolments.push(Enrolment {
                        division_code: county.into(),
                        id: g.id(&format!("enrolment/{rid}/{y}")),
                        resident_id: rid.clone(),
                        insurance_type: scheme.into(),
                        year: i64::from(y),
                        status: "active".into(),
                        enrolled_on: NaiveDate::from_ymd_opt(y - 1, 12, 1).unwrap_or(p.today),
                    });
                }
            }
            made += 1;
        }
    }
}

fn birth_date(rng: &mut ChaCha8Rng, today: NaiveDate, age: u32) -> NaiveDate {
    // A day between `age + 1` years and `age` years before today.
    let latest = today.with_year(today.year() - age as i32).unwrap_or(today);
    let back = rng.random_range(0..365u64);
    latest.checked_sub_days(Days::new(back)).unwrap_or(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize) -> DemoParams {
        DemoParams {
            residents: n,
            seed: 7,
            share_65_bp: 1_300,
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        }
    }

    #[test]
    fn the_city_community_has_the_changji_shape() {
        let w = generate(&params(100));
        let city: Vec<_> = w.institutions.iter().filter(|i| i.division_code == "652301").collect();
        let count = |k: &str| city.iter().filter(|i| i.kind == k).count();
        assert_eq!(count("general_hospital"), 1);
        assert_eq!(count("tcm_hospital"), 1);
        assert_eq!(count("community_health_centre"), 2);
        assert_eq!(count("central_township_health_centre") + count("township_health_centre"), 6);
        assert_eq!(count("village_clinic"), 35);
        assert!(w.counties.len() >= 3);
        assert!(w.communities.iter().all(|c| c.lead_institution_id.is_some()));
        // Village clinics hang under their township centre.
        assert!(city.iter().filter(|i| i.kind == "village_clinic").all(|i| i.parent_id.is_some()));
    }

    #[test]
    fn residents_have_valid_ids_matching_county_and_birth() {
        let w = generate(&params(3_000));
        assert_eq!(w.residents.len(), 3_000);
        let mut seen = HashSet::new();
        for r in &w.residents {
            let id = ResidentId::parse(&r.id_number).expect("valid id");
            assert_eq!(id.region_code(), r.division_code);
            assert_eq!(id.birth_date(), r.birth_date);
            assert!(r.village_code.starts_with(&r.division_code));
            assert!(seen.insert(r.id_number.clone()));
        }
        let old = w.residents.iter().filter(|r| id_age(r) >= 65).count() as f64 / 3_000.0;
        assert!((0.10..0.16).contains(&old), "65+ share {old}");
    }

    fn id_age(r: &Resident) -> u32 {
        ResidentId::parse(&r.id_number)
            .unwrap()
            .age_on(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
    }

    #[test]
    fn generation_is_deterministic() {
        let a = generate(&params(500));
        let b = generate(&params(500));
        let ids = |w: &DemoWorld| {
            w.residents
                .iter()
                .map(|r| (r.id.clone(), r.id_number.clone(), r.name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&generate(&DemoParams { seed: 8, ..params(500) })));
    }

    #[test]
    fn every_role_has_a_login() {
        let w = generate(&params(10));
        for role in [
            "village_doctor",
            "township_doctor",
            "county_specialist",
            "reader",
            "nurse",
            "insurance_officer",
            "procurement_officer",
            "administrator",
        ] {
            assert!(w.users.iter().any(|u| u.role == role), "{role}");
        }
    }
}
