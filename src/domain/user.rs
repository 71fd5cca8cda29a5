//! Users, as far as profiles need them: who holds which profile and role.

use super::clock::UnixTime;
use super::profile::UserRef;

/// A profile or role as a user shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: String,
    pub profile: NamedRef,
    pub role: NamedRef,
    /// Whether the user's profile is Administrator.
    pub is_admin: bool,
    pub active: bool,
    pub confirmed: bool,
    pub created_by: Option<UserRef>,
    pub created_at: UnixTime,
    pub modified_by: Option<UserRef>,
    pub modified_at: UnixTime,
}

impl User {
    pub fn full_name(&self) -> String {
        match &self.first_name {
            Some(first) if !first.is_empty() => format!("{first} {}", self.last_name),
            _ => self.last_name.clone(),
        }
    }
}

/// The `type` filter of the users list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    AllUsers,
    ActiveUsers,
    DeactiveUsers,
    ConfirmedUsers,
    NotConfirmedUsers,
    DeletedUsers,
    ActiveConfirmedUsers,
    AdminUsers,
    ActiveConfirmedAdmins,
    CurrentUser,
}

impl UserType {
    pub fn parse(text: &str) -> Option<Self> {
        use UserType::*;
        Some(match text {
            "AllUsers" => AllUsers,
            "ActiveUsers" => ActiveUsers,
            "DeactiveUsers" => DeactiveUsers,
            "ConfirmedUsers" => ConfirmedUsers,
            "NotConfirmedUsers" => NotConfirmedUsers,
            "DeletedUsers" => DeletedUsers,
            "ActiveConfirmedUsers" => ActiveConfirmedUsers,
            "AdminUsers" => AdminUsers,
            "ActiveConfirmedAdmins" => ActiveConfirmedAdmins,
            "CurrentUser" => CurrentUser,
            _ => return None,
        })
    }

    /// Whether `user` belongs in a list of this type asked for by `caller_id`. Users are never
    /// deleted here, so `DeletedUsers` is always empty.
    pub fn includes(self, user: &User, caller_id: i64) -> bool {
        use UserType::*;
        match self {
            AllUsers => true,
            ActiveUsers => user.active,
            DeactiveUsers => !user.active,
            ConfirmedUsers => user.confirmed,
            NotConfirmedUsers => !user.confirmed,
            DeletedUsers => false,
            ActiveConfirmedUsers => user.active && user.confirmed,
            AdminUsers => user.is_admin,
            ActiveConfirmedAdmins => user.is_admin && user.active && user.confirmed,
            CurrentUser => user.id == caller_id,
        }
    }
}

/// Longest first or last name, in characters.
pub const NAME_MAX_CHARS: usize = 50;
/// Longest email, in characters.
pub const EMAIL_MAX_CHARS: usize = 100;

/// A plausible email: one `@` with something on both sides and a dot in the domain, no spaces.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.chars().count() <= EMAIL_MAX_CHARS
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: String,
    pub profile_id: i64,
    pub role_id: i64,
    pub by: UserRef,
    pub at: UnixTime,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub id: i64,
    /// The email as sent; it must be the user's own (emails never change).
    pub email: Option<String>,
    pub profile_id: Option<i64>,
    pub role_id: Option<i64>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<String>,
    pub by: UserRef,
    pub at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRefusal {
    NotFound,
    DuplicateEmail,
    ProfileNotFound,
    RoleNotFound,
    /// An update that names another email than the user's.
    EmailChange,
    /// The org's primary contact keeps the Administrator profile, so an org always has one
    /// user who can manage profiles and users.
    PrimaryContactProfile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_valid_email("a.b@example.com"));
        for bad in ["", "a", "a@b", "@b.com", "a@.com", "a@b.com.", "a b@c.com", "a@b@c.com"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
