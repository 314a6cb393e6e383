//! Accounts: roles and what each may do.

use serde::{Deserialize, Serialize};

/// A person's role. Staff log in with a login name; candidates with their e-mail or phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Teacher,
    SchoolAdmin,
    Candidate,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Teacher,
        Role::SchoolAdmin,
        Role::Candidate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Teacher => "teacher",
            Role::SchoolAdmin => "school_admin",
            Role::Candidate => "candidate",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == raw)
    }

    /// Staff write and review items; candidates practise.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Teacher)
    }
}

/// An account (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub login: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_know_staff() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert!(Role::Teacher.is_staff());
        assert!(!Role::Candidate.is_staff());
        assert!(!Role::SchoolAdmin.is_staff());
    }
}
