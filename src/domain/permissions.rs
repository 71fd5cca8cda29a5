//! Changing a profile's permissions.
//!
//! Zoho's rules, plus choices of ours where Zoho is silent (COMPATIBILITY.md records them):
//! - only customizable permissions can change state (sending the state a permission shows is
//!   accepted, so a body read from GET can be sent back);
//! - a permission cannot be enabled while one of its parents stays disabled;
//! - **disabling a parent disables its enabled customizable children** (and theirs): they stay
//!   off when the parent comes back, as in Zoho's settings page;
//! - a non-customizable child follows its parents: it shows as disabled while a parent is
//!   disabled and comes back with it ([`Catalogue::effective`]), since no request could ever
//!   switch it on again.
//!
//! Either way, no permission shows as enabled under a disabled parent.

use super::catalogue::{Catalogue, Parents, PermissionSet};

/// One `{id, enabled}` entry of a request, resolved to a catalogue index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionChange {
    /// Position of the entry in the request's `permissions_details`, for error paths.
    pub position: usize,
    pub index: usize,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionRefusal {
    NotCustomizable { position: usize },
    ParentDisabled { position: usize },
}

/// The permissions after `changes`, or the first change that breaks a rule.
pub fn apply(
    catalogue: &Catalogue,
    current: &PermissionSet,
    changes: &[PermissionChange],
) -> Result<PermissionSet, PermissionRefusal> {
    let mut next = current.clone();
    for change in changes.iter().filter(|c| catalogue.permissions[c.index].customizable) {
        next.set(change.index, change.enabled);
    }
    // A non-customizable entry must state what the profile will show once the customizable
    // changes are made (so a body read earlier can be sent back whole).
    let shown = catalogue.effective(&next);
    for change in changes.iter().filter(|c| !catalogue.permissions[c.index].customizable) {
        if shown.is_enabled(change.index) != change.enabled {
            return Err(PermissionRefusal::NotCustomizable { position: change.position });
        }
    }

    // An entry that asks for a permission overrides an earlier one for the same permission.
    let wanted_on =
        |index: usize| changes.iter().rev().find(|c| c.index == index).is_some_and(|c| c.enabled);
    let in_effect = catalogue.effective(&next);
    for change in changes.iter().filter(|c| c.enabled && wanted_on(c.index)) {
        let parents_on = match &catalogue.permissions[change.index].parents {
            Parents::Some(parents) => parents.iter().all(|&p| in_effect.is_enabled(p)),
            Parents::None | Parents::Absent => true,
        };
        if !parents_on {
            return Err(PermissionRefusal::ParentDisabled { position: change.position });
        }
    }

    disable_customizable_orphans(catalogue, &mut next);
    Ok(next)
}

/// Switches off every customizable permission that is stored as enabled but has a parent not in
/// effect, until none is left.
fn disable_customizable_orphans(catalogue: &Catalogue, set: &mut PermissionSet) {
    loop {
        let in_effect = catalogue.effective(set);
        let orphan = catalogue.permissions.iter().enumerate().position(|(i, p)| {
            p.customizable
                && set.is_enabled(i)
                && matches!(
                    &p.parents,
                    Parents::Some(parents) if parents.iter().any(|&q| !in_effect.is_enabled(q))
                )
        });
        match orphan {
            Some(i) => set.set(i, false),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::catalogue;

    fn change(position: usize, name: &str, enabled: bool) -> PermissionChange {
        PermissionChange { position, index: catalogue().index_of(name).unwrap(), enabled }
    }

    fn on(set: &PermissionSet, name: &str) -> bool {
        set.is_enabled(catalogue().index_of(name).unwrap())
    }

    #[test]
    fn disabling_a_parent_disables_its_children() {
        let c = catalogue();
        let next = apply(c, &c.standard(), &[change(0, "Crm_Implied_View_Leads", false)]).unwrap();
        let shown = c.effective(&next);
        assert!(!on(&shown, "Crm_Implied_View_Leads"));
        assert!(!on(&shown, "Crm_Implied_Delete_Leads"));
        assert!(!on(&shown, "Crm_Implied_AccessTimeline_Leads"));
        assert!(on(&shown, "Crm_Implied_View_Contacts"));
    }

    #[test]
    fn non_customizable_children_come_back_with_their_parent_customizable_ones_do_not() {
        let c = catalogue();
        let off = apply(c, &c.standard(), &[change(0, "Crm_Implied_View_Leads", false)]).unwrap();
        let back = apply(c, &off, &[change(0, "Crm_Implied_View_Leads", true)]).unwrap();
        let shown = c.effective(&back);
        assert!(on(&shown, "Crm_Implied_AccessTimeline_Leads"), "not customizable: follows");
        assert!(!on(&shown, "Crm_Implied_Delete_Leads"), "customizable: stays off");
    }

    #[test]
    fn a_child_cannot_be_enabled_under_a_disabled_parent() {
        let c = catalogue();
        let off = apply(c, &c.standard(), &[change(0, "Crm_Implied_View_Leads", false)]).unwrap();
        let refused = apply(c, &off, &[change(3, "Crm_Implied_Delete_Leads", true)]);
        assert_eq!(refused, Err(PermissionRefusal::ParentDisabled { position: 3 }));
        let both = [
            change(0, "Crm_Implied_Delete_Leads", true),
            change(1, "Crm_Implied_View_Leads", true),
        ];
        assert!(on(&apply(c, &off, &both).unwrap(), "Crm_Implied_Delete_Leads"));
    }

    #[test]
    fn a_body_read_before_a_parent_was_switched_off_can_be_sent_back() {
        let c = catalogue();
        let standard = c.standard();
        let snapshot: Vec<PermissionChange> = (0..c.len())
            .map(|i| PermissionChange { position: i, index: i, enabled: standard.is_enabled(i) })
            .collect();
        let off = apply(c, &standard, &[change(0, "Crm_Implied_Create_Leads", false)]).unwrap();
        let restored = apply(c, &off, &snapshot).unwrap();
        assert_eq!(c.effective(&restored), c.effective(&standard));
    }

    #[test]
    fn non_customizable_permissions_keep_their_state() {
        let c = catalogue();
        let standard = c.standard();
        let refused = apply(c, &standard, &[change(0, "Crm_Implied_Manage_Profiles", true)]);
        assert_eq!(refused, Err(PermissionRefusal::NotCustomizable { position: 0 }));
        let same = apply(c, &standard, &[change(0, "Crm_Implied_Manage_Profiles", false)]);
        assert_eq!(same, Ok(standard));
    }
}
