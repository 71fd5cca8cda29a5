//! OAuth scopes and which calls they cover.
//!
//! A scope reads `Service.path.OPERATION`, e.g. `ZohoCRM.settings.profiles.READ`. A granted
//! scope covers a required one when:
//! - it is the same scope, or
//! - it has the same path and the operation `ALL`, or `WRITE` for CREATE, UPDATE and DELETE, or
//! - it has the operation `ALL` on an ancestor path (`ZohoCRM.settings.ALL` covers every
//!   `ZohoCRM.settings.*` scope).
//!
//! Zoho's own files spell scopes in both cases (`…profiles.all` in one OpenAPI file), so
//! comparisons ignore case.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Create,
    Update,
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "READ",
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }
}

/// A scope a call requires: a path such as `ZohoCRM.settings.profiles` and an operation.
#[derive(Debug, Clone, Copy)]
pub struct Required {
    pub path: &'static str,
    pub operation: Operation,
}

pub const PROFILES_PATH: &str = "ZohoCRM.settings.profiles";
pub const USERS_PATH: &str = "ZohoCRM.users";
pub const ORG_PATH: &str = "ZohoCRM.org";

impl fmt::Display for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.path, self.operation.as_str())
    }
}

/// Whether a well-formed scope string: at least `Service.name.OPERATION`, each part made of
/// letters, digits or underscores.
pub fn is_well_formed(scope: &str) -> bool {
    let parts: Vec<&str> = scope.split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// Whether any of the granted scopes covers `required`.
pub fn covers(granted: &[String], required: Required) -> bool {
    granted.iter().any(|scope| one_covers(scope, required))
}

fn one_covers(granted: &str, required: Required) -> bool {
    let Some((path, op)) = granted.rsplit_once('.') else {
        return false;
    };
    let op = op.to_ascii_uppercase();
    let same_path = path.eq_ignore_ascii_case(required.path);
    if same_path {
        return op == required.operation.as_str()
            || op == "ALL"
            || (op == "WRITE" && required.operation != Operation::Read);
    }
    let is_ancestor = required.path.len() > path.len()
        && required.path.as_bytes()[path.len()] == b'.'
        && required.path[..path.len()].eq_ignore_ascii_case(path);
    is_ancestor && op == "ALL" && path.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(operation: Operation) -> Required {
        Required { path: PROFILES_PATH, operation }
    }

    fn granted(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hierarchy_covers_children() {
        for scope in [
            "ZohoCRM.settings.ALL",
            "ZohoCRM.settings.profiles.ALL",
            "zohocrm.settings.profiles.all",
        ] {
            for op in [Operation::Read, Operation::Create, Operation::Update, Operation::Delete] {
                assert!(covers(&granted(&[scope]), req(op)), "{scope} {op:?}");
            }
        }
    }

    #[test]
    fn operations_cover_only_themselves_and_write_covers_changes() {
        assert!(covers(&granted(&["ZohoCRM.settings.profiles.READ"]), req(Operation::Read)));
        assert!(!covers(&granted(&["ZohoCRM.settings.profiles.READ"]), req(Operation::Create)));
        assert!(covers(&granted(&["ZohoCRM.settings.profiles.WRITE"]), req(Operation::Create)));
        assert!(!covers(&granted(&["ZohoCRM.settings.profiles.WRITE"]), req(Operation::Read)));
        assert!(!covers(&granted(&["ZohoCRM.settings.roles.ALL"]), req(Operation::Read)));
        assert!(!covers(&granted(&["ZohoCRM.settings.profile.ALL"]), req(Operation::Read)));
        assert!(!covers(&granted(&["ZohoCRM.ALL"]), req(Operation::Read)));
        assert!(!covers(&granted(&["ZohoCRM.modules.ALL"]), req(Operation::Read)));
    }

    #[test]
    fn scope_grammar() {
        assert!(is_well_formed("ZohoCRM.settings.profiles.ALL"));
        assert!(is_well_formed("ZohoCRM.users.READ"));
        assert!(!is_well_formed("ZohoCRM.ALL."));
        assert!(!is_well_formed("profiles"));
        assert!(!is_well_formed("ZohoCRM.settings profiles.ALL"));
    }
}
