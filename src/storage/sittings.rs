//! The exam's sittings, candidates' registrations for them (each an order for the exam fee) and the
//! confirmation of payments: by an admin, by an uploaded list, or by the payment provider's callback
//! (each provider event is applied once).

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use super::conn::write_tx;
use super::schema::{candidates as c, payment_events as pe, registrations as r, sittings as s};
use super::{AnyConnection, StorageError, audit, now};
use crate::domain::access::Sitting;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
}

impl OrderStatus {
    fn code(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
        }
    }
}

/// A registration for a sitting, which is also the order for its fee.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Registration {
    pub id: String,
    pub user_id: String,
    pub sitting_id: String,
    pub amount_fen: u32,
    pub status: OrderStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<time::OffsetDateTime>,
    pub paid_via: Option<String>,
}

type SittingRow = (
    String,
    String,
    String,
    Date,
    Date,
    Date,
    Date,
    Date,
    String,
    i32,
);

macro_rules! sitting_columns {
    () => {
        (
            s::id,
            s::name_zh,
            s::name_en,
            s::registration_opens,
            s::registration_closes,
            s::payment_opens,
            s::payment_closes,
            s::test_date,
            s::test_time,
            s::fee_fen,
        )
    };
}

fn sitting(row: SittingRow) -> Sitting {
    Sitting {
        id: row.0,
        name_zh: row.1,
        name_en: row.2,
        registration_opens: row.3,
        registration_closes: row.4,
        payment_opens: row.5,
        payment_closes: row.6,
        test_date: row.7,
        test_time: row.8,
        fee_fen: row.9.max(0) as u32,
    }
}

type RegistrationRow = (
    String,
    String,
    String,
    i32,
    String,
    PrimitiveDateTime,
    Option<PrimitiveDateTime>,
    Option<String>,
);

macro_rules! registration_columns {
    () => {
        (
            r::id,
            r::user_id,
            r::sitting_id,
            r::amount_fen,
            r::status,
            r::created_at,
            r::paid_at,
            r::paid_via,
        )
    };
}

fn registration(row: RegistrationRow) -> Registration {
    Registration {
        id: row.0,
        user_id: row.1,
        sitting_id: row.2,
        amount_fen: row.3.max(0) as u32,
        status: if row.4 == "paid" {
            OrderStatus::Paid
        } else {
            OrderStatus::Pending
        },
        created_at: row.5.assume_utc(),
        paid_at: row.6.map(PrimitiveDateTime::assume_utc),
        paid_via: row.7,
    }
}

/// Every sitting, the latest test first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<Sitting>, StorageError> {
    Ok(s::table
        .order(s::test_date.desc())
        .select(sitting_columns!())
        .load::<SittingRow>(conn)?
        .into_iter()
        .map(sitting)
        .collect())
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Sitting>, StorageError> {
    Ok(s::table
        .filter(s::id.eq(id))
        .select(sitting_columns!())
        .first::<SittingRow>(conn)
        .optional()?
        .map(sitting))
}

/// Creates or updates a sitting (an admin's change, audited).
pub fn save(conn: &mut AnyConnection, st: &Sitting, actor: &str) -> Result<(), StorageError> {
    write_tx(conn, |conn| {
        let values = (
            s::name_zh.eq(&st.name_zh),
            s::name_en.eq(&st.name_en),
            s::registration_opens.eq(st.registration_opens),
            s::registration_closes.eq(st.registration_closes),
            s::payment_opens.eq(st.payment_opens),
            s::payment_closes.eq(st.payment_closes),
            s::test_date.eq(st.test_date),
            s::test_time.eq(&st.test_time),
            s::fee_fen.eq(st.fee_fen as i32),
        );
        let updated = diesel::update(s::table.filter(s::id.eq(&st.id)))
            .set(values)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(s::table)
                .values((s::id.eq(&st.id), values, s::created_at.eq(now())))
                .execute(conn)?;
        }
        audit::log(
            conn,
            actor,
            if updated == 0 { "create" } else { "update" },
            "sitting",
            &st.id,
            &format!("test {} · fee {} fen", st.test_date, st.fee_fen),
        )
    })
}

/// Why a registration for a sitting was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("no such sitting")]
    NoSuchSitting,
    #[error("registration for this sitting is open from {opens} to {closes}")]
    Closed { opens: Date, closes: Date },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for RegistrationError {
    fn from(e: diesel::result::Error) -> Self {
        RegistrationError::Storage(e.into())
    }
}

/// Registers a candidate for a sitting (within its registration window unless `any_time`, for admins);
/// registering twice returns the first registration.
pub fn register(
    conn: &mut AnyConnection,
    user_id: &str,
    sitting_id: &str,
    today: Date,
    any_time: bool,
) -> Result<Registration, RegistrationError> {
    write_tx(conn, |conn| {
        let Some(st) = get(conn, sitting_id)? else {
            return Err(RegistrationError::NoSuchSitting);
        };
        if let Some(existing) = registration_for(conn, user_id, sitting_id)? {
            return Ok(existing);
        }
        if !any_time && !st.registration_open(today) {
            return Err(RegistrationError::Closed {
                opens: st.registration_opens,
                closes: st.registration_closes,
            });
        }
        let id = format!("ord-{}", &crate::auth::new_token()[..16]);
        diesel::insert_into(r::table)
            .values((
                r::id.eq(&id),
                r::user_id.eq(user_id),
                r::sitting_id.eq(sitting_id),
                r::amount_fen.eq(st.fee_fen as i32),
                r::status.eq(OrderStatus::Pending.code()),
                r::created_at.eq(now()),
            ))
            .execute(conn)?;
        registration_for(conn, user_id, sitting_id)?
            .ok_or_else(|| StorageError::Corrupt("the new registration vanished".into()).into())
    })
}

fn registration_for(
    conn: &mut AnyConnection,
    user_id: &str,
    sitting_id: &str,
) -> Result<Option<Registration>, StorageError> {
    Ok(r::table
        .filter(r::user_id.eq(user_id))
        .filter(r::sitting_id.eq(sitting_id))
        .select(registration_columns!())
        .first::<RegistrationRow>(conn)
        .optional()?
        .map(registration))
}

pub fn registration_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Registration>, StorageError> {
    Ok(r::table
        .filter(r::id.eq(id))
        .select(registration_columns!())
        .first::<RegistrationRow>(conn)
        .optional()?
        .map(registration))
}

/// A candidate's registrations with their sittings, the latest test first.
pub fn registrations_of(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<(Registration, Sitting)>, StorageError> {
    let rows: Vec<(RegistrationRow, SittingRow)> = r::table
        .inner_join(s::table)
        .filter(r::user_id.eq(user_id))
        .order(s::test_date.desc())
        .select((registration_columns!(), sitting_columns!()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, b)| (registration(a), sitting(b)))
        .collect())
}

/// The test dates of the sittings a candidate has paid for.
pub fn paid_test_dates(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Date>, StorageError> {
    Ok(r::table
        .inner_join(s::table)
        .filter(r::user_id.eq(user_id))
        .filter(r::status.eq(OrderStatus::Paid.code()))
        .select(s::test_date)
        .load(conn)?)
}

/// Orders with `status`, oldest first, with the candidate's identity number (for admins).
pub fn orders(
    conn: &mut AnyConnection,
    status: Option<OrderStatus>,
    limit: i64,
) -> Result<Vec<(Registration, String)>, StorageError> {
    let mut q = r::table
        .inner_join(c::table.on(c::user_id.eq(r::user_id)))
        .select((registration_columns!(), c::id_number))
        .into_boxed();
    if let Some(st) = status {
        q = q.filter(r::status.eq(st.code()));
    }
    let rows: Vec<(RegistrationRow, String)> =
        q.order(r::created_at.asc()).limit(limit).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, id)| (registration(a), id))
        .collect())
}

/// What a confirmation did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    Confirmed,
    /// It was paid already; nothing changed.
    AlreadyPaid,
}

fn confirm_in_tx(
    conn: &mut AnyConnection,
    registration_id: &str,
    via: &str,
    actor: &str,
) -> Result<Option<Confirmation>, StorageError> {
    let Some(reg) = registration_by_id(conn, registration_id)? else {
        return Ok(None);
    };
    if reg.status == OrderStatus::Paid {
        return Ok(Some(Confirmation::AlreadyPaid));
    }
    diesel::update(r::table.filter(r::id.eq(registration_id)))
        .set((
            r::status.eq(OrderStatus::Paid.code()),
            r::paid_at.eq(Some(now())),
            r::paid_via.eq(Some(via)),
        ))
        .execute(conn)?;
    audit::log(
        conn,
        actor,
        "payment_confirmed",
        "registration",
        registration_id,
        via,
    )?;
    Ok(Some(Confirmation::Confirmed))
}

/// Marks an order paid (idempotent). `None` when there is no such order.
pub fn confirm(
    conn: &mut AnyConnection,
    registration_id: &str,
    via: &str,
    actor: &str,
) -> Result<Option<Confirmation>, StorageError> {
    write_tx(conn, |conn| {
        confirm_in_tx(conn, registration_id, via, actor)
    })
}

/// Why a list of payments was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("no order {0}")]
    UnknownOrder(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for UploadError {
    fn from(e: diesel::result::Error) -> Self {
        UploadError::Storage(e.into())
    }
}

/// Confirms a list of orders all together, or none of them: every id must name an order.
pub fn confirm_all(
    conn: &mut AnyConnection,
    registration_ids: &[String],
    actor: &str,
) -> Result<Vec<Confirmation>, UploadError> {
    write_tx(conn, |conn| {
        let mut out = Vec::new();
        for id in registration_ids {
            match confirm_in_tx(conn, id, &format!("upload by {actor}"), actor)? {
                Some(c) => out.push(c),
                None => return Err(UploadError::UnknownOrder(id.clone())),
            }
        }
        Ok(out)
    })
}

/// The outcome of a provider's event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    Confirmed,
    AlreadyPaid,
    /// The event was processed before; nothing changed.
    Duplicate,
    UnknownOrder,
    /// The amount paid is not the order's.
    WrongAmount {
        expected_fen: u32,
    },
}

/// Applies a payment provider's event once: a repeated event id changes nothing.
pub fn apply_event(
    conn: &mut AnyConnection,
    event_id: &str,
    registration_id: &str,
    amount_fen: u32,
) -> Result<EventOutcome, StorageError> {
    write_tx(conn, |conn| {
        let seen: i64 = pe::table
            .filter(pe::event_id.eq(event_id))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            return Ok(EventOutcome::Duplicate);
        }
        let outcome = match registration_by_id(conn, registration_id)? {
            None => EventOutcome::UnknownOrder,
            Some(reg) if reg.amount_fen != amount_fen => EventOutcome::WrongAmount {
                expected_fen: reg.amount_fen,
            },
            Some(_) => {
                match confirm_in_tx(
                    conn,
                    registration_id,
                    &format!("provider {event_id}"),
                    "provider",
                )? {
                    Some(Confirmation::AlreadyPaid) => EventOutcome::AlreadyPaid,
                    _ => EventOutcome::Confirmed,
                }
            }
        };
        diesel::insert_into(pe::table)
            .values((
                pe::event_id.eq(event_id),
                pe::registration_id.eq(registration_id),
                pe::outcome.eq(format!("{outcome:?}")),
                pe::received_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(outcome)
    })
}
