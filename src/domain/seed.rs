//! What a new org starts with: its system profiles and first users.

use super::catalogue::{PermissionSet, catalogue};
use super::profile::DEFAULT_PROFILE_LIMIT;

#[derive(Clone)]
pub struct OrgSeed {
    pub name: String,
    pub profile_limit: i64,
    pub profiles: Vec<ProfileSeed>,
    /// Role names; Zoho requires every user to hold a role.
    pub roles: Vec<&'static str>,
    /// The first user is the org's primary contact.
    pub users: Vec<UserSeed>,
}

#[derive(Clone)]
pub struct ProfileSeed {
    pub name: &'static str,
    pub api_name: &'static str,
    pub description: &'static str,
    pub permissions: PermissionSet,
}

#[derive(Clone)]
pub struct UserSeed {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Index into [`OrgSeed::profiles`].
    pub profile: usize,
    /// Index into [`OrgSeed::roles`].
    pub role: usize,
}

pub const ADMINISTRATOR: usize = 0;
pub const STANDARD: usize = 1;

/// The two system profiles every org has, Administrator first.
pub fn system_profiles() -> Vec<ProfileSeed> {
    vec![
        ProfileSeed {
            name: "Administrator",
            api_name: "Administrator",
            description: "Holds every permission: can see and manage all data and settings of \
                          the organization.",
            permissions: catalogue().administrator(),
        },
        ProfileSeed {
            name: "Standard",
            api_name: "Standard",
            description: "Holds every permission except the administrative ones.",
            permissions: catalogue().standard(),
        },
    ]
}

/// The roles every org starts with, as Zoho's orgs do.
pub fn default_roles() -> Vec<&'static str> {
    vec!["CEO", "Manager"]
}

/// The org created on the first start of an empty database.
pub fn demo_org() -> OrgSeed {
    OrgSeed {
        name: "Demo".to_owned(),
        profile_limit: DEFAULT_PROFILE_LIMIT,
        profiles: system_profiles(),
        roles: default_roles(),
        users: vec![
            UserSeed {
                email: "admin@example.com".to_owned(),
                first_name: "Ada".to_owned(),
                last_name: "Admin".to_owned(),
                profile: ADMINISTRATOR,
                role: 0,
            },
            UserSeed {
                email: "standard@example.com".to_owned(),
                first_name: "Sam".to_owned(),
                last_name: "Standard".to_owned(),
                profile: STANDARD,
                role: 1,
            },
        ],
    }
}

/// A new org with its system profiles, default roles and one administrator, who becomes the
/// org's primary contact. The administrator's last name is the part of the email before `@`.
pub fn new_org(name: &str, admin_email: &str) -> OrgSeed {
    let local = admin_email.split('@').next().unwrap_or(admin_email);
    OrgSeed {
        name: name.to_owned(),
        profile_limit: DEFAULT_PROFILE_LIMIT,
        profiles: system_profiles(),
        roles: default_roles(),
        users: vec![UserSeed {
            email: admin_email.to_owned(),
            first_name: String::new(),
            last_name: local.to_owned(),
            profile: ADMINISTRATOR,
            role: 0,
        }],
    }
}
