//! Recognition commands: the pool's catalogue and participants, and orders with their decision (recognised or re-tested) and saving.

use super::*;

/// Replaces or adds catalogue items of the actor's pool (administrators of the whole pool). Items
/// not named stay as they are. Every field is checked first; nothing is written on an error.
///
/// # Errors
/// `Forbidden` without the permission or for an administrator of one county only; `Validation`
/// naming `items[i].field`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn put_items(app: &App, actor: &Actor, items: &[CatalogueItem]) -> Result<Catalogue, ServiceError> {
    actor.require_pool_level(Permission::RecognitionManage)?;
    let pool = actor_pool(app, actor).await?;
    if !pool.starts_with(actor.scope.division_prefix()) {
        return Err(ServiceError::NotFound);
    }
    let mut errs = Errors::default();
    let mut seen = HashSet::new();
    let now = Utc::now();
    let mut rows = Vec::new();
    if items.is_empty() {
        errs.push(FieldError::required("items"));
    }
    for (i, it) in items.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let code = it.code.trim();
        if code.is_empty() || code.len() > 32 {
            errs.push(FieldError::new(
                &f("code"),
                "recognition.code",
                "1 to 32 characters",
                "Item code is required",
                "项目编码不能为空",
            ));
        } else if !seen.insert(code.to_owned()) {
            errs.push(FieldError::new(
                &f("code"),
                "unique",
                "each code once",
                "The code appears twice",
                "项目编码重复",
            ));
        }
        if it.name.trim().is_empty() {
            errs.push(FieldError::required(&f("name")));
        }
        if ItemClass::parse(&it.class).is_none() {
            let expected = ItemClass::ALL.map(ItemClass::code).join(", ");
            errs.push(FieldError::new(
                &f("class"),
                "enum",
                &expected,
                "Unknown item class",
                "项目类别无效",
            ));
        }
        if !(0..=365).contains(&it.window_days) {
            errs.push(FieldError::new(
                &f("window_days"),
                "range",
                "0 to 365",
                "The window must be 0 to 365 days",
                "有效期应为 0 到 365 天",
            ));
        }
        if it.scope.trim().is_empty() {
            errs.push(FieldError::required(&f("scope")));
        }
        if it.equivalents.iter().any(|e| e.trim().is_empty() || e.trim() == code) {
            errs.push(FieldError::new(
                &f("equivalents"),
                "recognition.equivalent",
                "other, non-empty item codes",
                "An equivalent must be another item code",
                "等效项目须为其他项目编码",
            ));
        }
        for (name, v) in [
            ("price_county", it.price_county),
            ("price_township", it.price_township),
            ("price_village", it.price_village),
        ] {
            if v < 0 {
                errs.push(FieldError::new(
                    &f(name),
                    "money.non_negative",
                    ">= 0 fen",
                    "A price cannot be negative",
                    "价格不能为负数",
                ));
            }
        }
        let equivalents: Vec<String> = it.equivalents.iter().map(|e| e.trim().to_owned()).collect();
        rows.push(ItemRow {
            division_code: pool.clone(),
            code: code.to_owned(),
            name: it.name.trim().to_owned(),
            class: it.class.clone(),
            window_days: it.window_days,
            scope: it.scope.trim().to_owned(),
            equivalents: serde_json::to_string(&equivalents).unwrap_or_else(|_| "[]".into()),
            price_county: it.price_county,
            price_township: it.price_township,
            price_village: it.price_village,
            updated_at: now,
        });
    }
    errs.finish()?;
    let a = audit::entry(
        actor,
        &pool,
        "update",
        "recognition_item",
        "-",
        None,
        &format!(
            "{} item(s): {}",
            rows.len(),
            rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
        ),
    );
    repo::upsert_items(&app.db, &rows, &a).await?;
    app.recognition.invalidate();
    self::items(app, actor).await
}

/// Adds or replaces participants of the actor's area (administrators). Others stay as they are.
///
/// # Errors
/// `Forbidden` without the permission; `Validation` naming `participants[i].field` (an institution
/// outside the area reads as unknown); nothing is written then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn put_participants(app: &App, actor: &Actor, input: &[ParticipantView]) -> Result<Vec<ParticipantView>, ServiceError> {
    actor.require(Permission::RecognitionManage)?;
    let mut errs = Errors::default();
    let mut rows = Vec::new();
    let today = results::shanghai_day(Utc::now());
    let mut seen = HashSet::new();
    if input.is_empty() {
        errs.push(FieldError::required("participants"));
    }
    for (i, p) in input.iter().enumerate() {
        let f = |name: &str| format!("participants[{i}].{name}");
        let inst = registry::institution(&app.db, &p.institution_id)
            .await?
            .filter(|x| x.division_code.starts_with(actor.scope.division_prefix()));
        match &inst {
            None => errs.push(FieldError::new(
                &f("institution_id"),
                "institution.scope",
                "an institution of your area",
                "Unknown institution",
                "机构不存在或不在您的管辖范围内",
            )),
            Some(x) if !seen.insert(x.id.clone()) => errs.push(FieldError::new(
                &f("institution_id"),
                "unique",
                "each institution once",
                "Named twice",
                "机构重复",
            )),
            Some(_) => {}
        }
        if p.scopes.is_empty() || p.scopes.iter().any(|s| s.trim().is_empty()) {
            errs.push(FieldError::new(
                &f("scopes"),
                "recognition.scopes",
                "one or more HR scope labels",
                "Name the HR scopes",
                "须填写互认范围",
            ));
        }
        if p.qc_date.is_some_and(|d| d > today) {
            errs.push(FieldError::new(
                &f("qc_date"),
                "date.past",
                "a date not after today",
                "The QC date lies in the future",
                "质控日期不能晚于今天",
            ));
        }
        if let Some(x) = inst {
            let scopes: Vec<String> = p.scopes.iter().map(|s| s.trim().to_owned()).collect();
            rows.push(ParticipantRow {
                division_code: x.division_code,
                institution_id: x.id,
                scopes: serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
                qc_passed: p.qc_passed,
                qc_date: p.qc_date,
                updated_at: Utc::now(),
            });
        }
    }
    errs.finish()?;
    let a = audit::entry(
        actor,
        &actor.division_code,
        "update",
        "recognition_participant",
        "-",
        None,
        &format!("{} participant(s)", rows.len()),
    );
    repo::upsert_participants(&app.db, &rows, &a).await?;
    app.recognition.invalidate();
    participants(app, actor).await
}

/// Orders an item for a resident. With recognisable prior results the decision is required: a
/// recognition books the saving (the avoided item at the ordering institution's price level), a
/// repeat writes its re-test reason to the record. Order, saving and audit entry are one transaction.
///
/// # Errors
/// `DecisionRequired` (with the candidates) when candidates exist and no decision was given;
/// `Validation` for a result that is not a candidate or a missing note; as [`check`].
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn order(app: &App, actor: &Actor, input: &OrderInput) -> Result<OrderView, ServiceError> {
    let c = context(app, actor, &input.resident_id, &input.item_code, input.ordered_on).await?;
    let outcome = match engine::decide(input.decision.as_ref(), &c.candidates) {
        Ok(o) => o,
        Err(DecisionError::Required(n)) => {
            let views = candidate_views(app, &c).await?;
            return Err(ServiceError::DecisionRequired {
                errors: vec![FieldError::new(
                    "decision",
                    "recognition.decision_required",
                    "recognise one of the candidates or give a re-test reason",
                    &format!("{n} recognisable result(s) exist: recognise one or order anyway with a re-test reason"),
                    &format!("该居民有 {n} 项可互认结果：请选择互认，或填写复查理由后再开单"),
                )],
                candidates: serde_json::to_value(&views).map_err(|e| ServiceError::Internal(e.into()))?,
            });
        }
        Err(DecisionError::NotACandidate(id)) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "decision.recognised.result",
                "recognition.candidate",
                "the id of one of the candidates",
                &format!("Result {id} is not recognisable for this order"),
                "所选结果不可用于本次互认",
            )]));
        }
        Err(DecisionError::NoteRequired) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "decision.repeated.note",
                "required",
                "a note explaining the clinical necessity",
                "A repeat for other clinical necessity needs a note",
                "因其他临床需要复查时须填写说明",
            )]));
        }
    };
    let now = Utc::now();
    let id = sanyi_store::new_id();
    let (decision, result_id, reason, note) = match &outcome {
        Outcome::Recognised(k) => ("recognised", Some(k.result.clone()), None, String::new()),
        Outcome::Repeated { reason, note } => ("repeated", None, Some(*reason), note.clone()),
        Outcome::Ordered { reason, note } => ("ordered", None, *reason, note.clone()),
    };
    if note.chars().count() > 500 {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "decision.repeated.note",
            "length",
            "at most 500 characters",
            "The note is too long",
            "说明不能超过 500 字",
        )]));
    }
    let row = OrderRow {
        division_code: c.resident.division_code.clone(),
        id: id.clone(),
        resident_id: c.resident.id.clone(),
        item_code: c.item.code.clone(),
        ordering_division_code: c.ordering.division_code.clone(),
        ordering_institution_id: c.ordering.id.clone(),
        ordered_by: actor.username.clone(),
        doctor_name: actor.display_name.clone(),
        ordered_on: c.on,
        decision: decision.into(),
        recognised_result_id: result_id.clone(),
        retest_reason: reason.map(|r| r.code().to_owned()),
        note,
        candidates: c.candidates.len() as i64,
        created_at: now,
    };
    let saving = match &outcome {
        Outcome::Recognised(k) => Some(SavingRow {
            division_code: row.division_code.clone(),
            id: sanyi_store::new_id(),
            order_id: id.clone(),
            result_id: k.result.clone(),
            item_code: c.item.code.clone(),
            ordering_division_code: c.ordering.division_code.clone(),
            ordering_institution_id: c.ordering.id.clone(),
            price_level: c.tier.code().into(),
            amount: engine::saving(&engine_item(&c.item)?, c.tier).get(),
            booked_on: c.on,
            created_at: now,
        }),
        _ => None,
    };
    let detail = match &outcome {
        Outcome::Recognised(k) => format!("{} recognised result {} ({} days old)", c.item.code, k.result, k.age_days),
        Outcome::Repeated { reason, .. } => format!("{} repeated: {}", c.item.code, reason.code()),
        Outcome::Ordered { .. } => format!("{} ordered (nothing recognisable)", c.item.code),
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "order",
        "test_order",
        &id,
        Some(&row.resident_id),
        &detail,
    );
    repo::insert_order(&app.db, &row, saving.as_ref(), &a).await?;
    Ok(order_view(&row, &c.item.name, saving.as_ref()))
}
