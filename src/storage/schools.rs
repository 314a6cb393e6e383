//! Schools (考培点): the school, its staff and students (memberships), classes and rosters.
//!
//! Every lookup a school's staff makes goes through the school's id, so nothing of another school can
//! be read by mistake: the web layer resolves the caller's school once and passes it down.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use time::Date;

use super::schema::{
    class_students as cs, classes as cl, school_members as m, schools as s, users,
};
use super::users::NewUser;
use super::{AnyConnection, StorageError, now};
use crate::domain::user::{Role, User};

pub use super::assessments::{Assessment, assessments_of_school, get_assessment};

/// A school.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct School {
    pub id: String,
    pub name: String,
    /// The key of its signed embed links and webhooks (never shown to students).
    #[serde(skip)]
    pub embed_secret: String,
    pub webhook_url: Option<String>,
    /// Its students practise the whole bank without the individual fee until this day (inclusive).
    pub licence_until: Option<Date>,
}

type SchoolRow = (String, String, String, Option<String>, Option<Date>);

fn school(r: SchoolRow) -> School {
    School {
        id: r.0,
        name: r.1,
        embed_secret: r.2,
        webhook_url: r.3,
        licence_until: r.4,
    }
}

macro_rules! school_columns {
    () => {
        (
            s::id,
            s::name,
            s::embed_secret,
            s::webhook_url,
            s::licence_until,
        )
    };
}

/// A fresh embed secret: 32 random bytes, hex.
pub fn new_secret() -> String {
    crate::storage::sha256_hex(crate::auth::new_token().as_bytes())
}

/// Creates a school.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    licence_until: Option<Date>,
) -> Result<School, StorageError> {
    let id = format!("sch-{}", &crate::auth::new_token()[..16]);
    diesel::insert_into(s::table)
        .values((
            s::id.eq(&id),
            s::name.eq(name),
            s::embed_secret.eq(new_secret()),
            s::licence_until.eq(licence_until),
            s::created_at.eq(now()),
        ))
        .execute(conn)?;
    get(conn, &id)?.ok_or_else(|| StorageError::Corrupt("the new school vanished".into()))
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<School>, StorageError> {
    Ok(s::table
        .filter(s::id.eq(id))
        .select(school_columns!())
        .first::<SchoolRow>(conn)
        .optional()?
        .map(school))
}

/// Every school, by name.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<School>, StorageError> {
    Ok(s::table
        .order(s::name.asc())
        .select(school_columns!())
        .load::<SchoolRow>(conn)?
        .into_iter()
        .map(school)
        .collect())
}

/// Changes a school's settings (webhook, licence).
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    webhook_url: Option<&str>,
    licence_until: Option<Date>,
) -> Result<(), StorageError> {
    diesel::update(s::table.filter(s::id.eq(id)))
        .set((
            s::webhook_url.eq(webhook_url),
            s::licence_until.eq(licence_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces a school's embed secret (links signed with the old one stop working).
pub fn rotate_secret(conn: &mut AnyConnection, id: &str) -> Result<String, StorageError> {
    let secret = new_secret();
    diesel::update(s::table.filter(s::id.eq(id)))
        .set(s::embed_secret.eq(&secret))
        .execute(conn)?;
    Ok(secret)
}

/// The school a user belongs to, if any.
pub fn school_of(conn: &mut AnyConnection, user_id: &str) -> Result<Option<String>, StorageError> {
    Ok(m::table
        .filter(m::user_id.eq(user_id))
        .select(m::school_id)
        .first::<String>(conn)
        .optional()?)
}

/// The last day of the licence of the user's school, if they belong to one that has a licence.
pub fn licence_of(conn: &mut AnyConnection, user_id: &str) -> Result<Option<Date>, StorageError> {
    Ok(m::table
        .inner_join(s::table.on(s::id.eq(m::school_id)))
        .filter(m::user_id.eq(user_id))
        .select(s::licence_until)
        .first::<Option<Date>>(conn)
        .optional()?
        .flatten())
}

/// Makes `user_id` a member of the school (staff, or a student with their number there).
pub fn add_member(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    external_id: Option<&str>,
) -> Result<(), StorageError> {
    match diesel::insert_into(m::table)
        .values((
            m::user_id.eq(user_id),
            m::school_id.eq(school_id),
            m::external_id.eq(external_id),
            m::created_at.eq(now()),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(
            StorageError::Conflict("this account or student number is already in a school".into()),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Creates an account and makes it a member of the school, in the caller's transaction.
pub fn create_member(
    conn: &mut AnyConnection,
    school_id: &str,
    new: &NewUser<'_>,
    external_id: Option<&str>,
) -> Result<User, StorageError> {
    let user = super::users::create(conn, new)?;
    add_member(conn, &user.id, school_id, external_id)?;
    Ok(user)
}

/// The school's student with this number (or LTI subject), if known.
pub fn student_by_external(
    conn: &mut AnyConnection,
    school_id: &str,
    external_id: &str,
) -> Result<Option<String>, StorageError> {
    Ok(m::table
        .filter(m::school_id.eq(school_id))
        .filter(m::external_id.eq(external_id))
        .select(m::user_id)
        .first::<String>(conn)
        .optional()?)
}

/// A member's number at the school, if they have one.
pub fn external_id(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
) -> Result<Option<String>, StorageError> {
    Ok(m::table
        .filter(m::user_id.eq(user_id))
        .filter(m::school_id.eq(school_id))
        .select(m::external_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Finds the school's student by number, or creates them (an account without a password: they come in
/// through their school's site). Returns the user id.
pub fn ensure_student(
    conn: &mut AnyConnection,
    school_id: &str,
    external_id: &str,
    name: &str,
) -> Result<String, StorageError> {
    if let Some(id) = student_by_external(conn, school_id, external_id)? {
        return Ok(id);
    }
    let user = create_member(
        conn,
        school_id,
        &NewUser {
            role: Role::Candidate,
            login: None,
            email: None,
            phone: None,
            name,
            password_hash: NO_PASSWORD,
        },
        Some(external_id),
    )?;
    Ok(user.id)
}

/// The stored hash of an account that cannot log in with a password (no argon2 hash parses from it).
pub const NO_PASSWORD: &str = "!";

/// A member of a school as its staff sees them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub login: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// The account is disabled (it cannot log in or sit).
    pub disabled: bool,
}

type MemberRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

/// Every member of a school, staff first, then by name.
pub fn members(conn: &mut AnyConnection, school_id: &str) -> Result<Vec<Member>, StorageError> {
    let rows: Vec<MemberRow> = m::table
        .inner_join(users::table.on(users::id.eq(m::user_id)))
        .filter(m::school_id.eq(school_id))
        .order((users::name.asc(), users::id.asc()))
        .select((
            users::id,
            users::name,
            users::role,
            users::login,
            users::email,
            m::external_id,
            users::disabled,
        ))
        .load(conn)?;
    let mut out: Vec<Member> = rows
        .into_iter()
        .filter_map(
            |(user_id, name, role, login, email, external_id, disabled)| {
                Some(Member {
                    user_id,
                    name,
                    role: Role::parse(&role)?,
                    login,
                    email,
                    external_id,
                    disabled,
                })
            },
        )
        .collect();
    out.sort_by_key(|x| x.role == Role::Candidate);
    Ok(out)
}

/// A class.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Class {
    pub id: String,
    pub school_id: String,
    pub name: String,
    pub teacher_id: Option<String>,
}

type ClassRow = (String, String, String, Option<String>);

fn class(r: ClassRow) -> Class {
    Class {
        id: r.0,
        school_id: r.1,
        name: r.2,
        teacher_id: r.3,
    }
}

/// Creates a class; a name already used in the school is a conflict.
pub fn create_class(
    conn: &mut AnyConnection,
    school_id: &str,
    name: &str,
    teacher_id: Option<&str>,
) -> Result<Class, StorageError> {
    let id = format!("cls-{}", &crate::auth::new_token()[..16]);
    match diesel::insert_into(cl::table)
        .values((
            cl::id.eq(&id),
            cl::school_id.eq(school_id),
            cl::name.eq(name),
            cl::teacher_id.eq(teacher_id),
            cl::created_at.eq(now()),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(Class {
            id,
            school_id: school_id.to_owned(),
            name: name.to_owned(),
            teacher_id: teacher_id.map(str::to_owned),
        }),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(
            StorageError::Conflict(format!("the school already has a class named `{name}`")),
        ),
        Err(e) => Err(e.into()),
    }
}

/// A class of the school (None if it does not exist or belongs to another school).
pub fn class_of(
    conn: &mut AnyConnection,
    school_id: &str,
    class_id: &str,
) -> Result<Option<Class>, StorageError> {
    Ok(cl::table
        .filter(cl::id.eq(class_id))
        .filter(cl::school_id.eq(school_id))
        .select((cl::id, cl::school_id, cl::name, cl::teacher_id))
        .first::<ClassRow>(conn)
        .optional()?
        .map(class))
}

/// The school's class with this name.
pub fn class_named(
    conn: &mut AnyConnection,
    school_id: &str,
    name: &str,
) -> Result<Option<Class>, StorageError> {
    Ok(cl::table
        .filter(cl::name.eq(name))
        .filter(cl::school_id.eq(school_id))
        .select((cl::id, cl::school_id, cl::name, cl::teacher_id))
        .first::<ClassRow>(conn)
        .optional()?
        .map(class))
}

/// The school's classes, by name.
pub fn classes(conn: &mut AnyConnection, school_id: &str) -> Result<Vec<Class>, StorageError> {
    Ok(cl::table
        .filter(cl::school_id.eq(school_id))
        .order(cl::name.asc())
        .select((cl::id, cl::school_id, cl::name, cl::teacher_id))
        .load::<ClassRow>(conn)?
        .into_iter()
        .map(class)
        .collect())
}

/// Puts a student in a class (again is a no-op).
pub fn enrol(conn: &mut AnyConnection, class_id: &str, user_id: &str) -> Result<(), StorageError> {
    let exists = cs::table
        .filter(cs::class_id.eq(class_id))
        .filter(cs::user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        diesel::insert_into(cs::table)
            .values((cs::class_id.eq(class_id), cs::user_id.eq(user_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// A student on a class list.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Student {
    pub user_id: String,
    pub name: String,
    pub external_id: Option<String>,
    /// The account is disabled (it cannot log in or sit).
    pub disabled: bool,
    /// The account can log in with a password (an invitation is only for those who cannot).
    pub has_password: bool,
}

/// A class's students, by number then name.
pub fn students(conn: &mut AnyConnection, class_id: &str) -> Result<Vec<Student>, StorageError> {
    let rows: Vec<(String, String, Option<String>, bool, String)> = cs::table
        .inner_join(users::table.on(users::id.eq(cs::user_id)))
        .left_join(m::table.on(m::user_id.eq(cs::user_id)))
        .filter(cs::class_id.eq(class_id))
        .order((m::external_id.asc(), users::name.asc()))
        .select((
            users::id,
            users::name,
            m::external_id.nullable(),
            users::disabled,
            users::password_hash,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, external_id, disabled, hash)| Student {
            user_id,
            name,
            external_id,
            disabled,
            has_password: hash != NO_PASSWORD,
        })
        .collect())
}

/// Whether the user is on the class list.
pub fn in_class(
    conn: &mut AnyConnection,
    class_id: &str,
    user_id: &str,
) -> Result<bool, StorageError> {
    Ok(cs::table
        .filter(cs::class_id.eq(class_id))
        .filter(cs::user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
