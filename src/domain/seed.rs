//! What a new org starts with: its system profiles and first users.

use super::catalogue::{PermissionSet, catalogue};
use super::profile::DEFAULT_PROFILE_LIMIT;

#[derive(Clone)]
pub struct OrgSeed {
    pub name: String,
    pub profile_limit: i64,
    pub profiles: Vec<ProfileSeed>,
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

/// The org created on the first start of an empty database.
pub fn demo_org() -> OrgSeed {
    OrgSeed {
        name: "Demo".to_owned(),
        profile_limit: DEFAULT_PROFILE_LIMIT,
        profiles: system_profiles(),
        users: vec![
            UserSeed {
                email: "admin@example.com".to_owned(),
                first_name: "Ada".to_owned(),
                last_name: "Admin".to_owned(),
                profile: ADMINISTRATOR,
            },
            UserSeed {
                email: "standard@example.com".to_owned(),
                first_name: "Sam".to_owned(),
                last_name: "Standard".to_owned(),
                profile: STANDARD,
            },
        ],
    }
}
