//! The body of `GET …/settings/profiles/{id}`, rendered from cached pieces.
//!
//! A profile read alone carries the whole permission catalogue (861 entries) and its sections,
//! about 200 KB of JSON. Only three things in it vary: the org's prefix inside every permission
//! id, each entry's `enabled`, and the few top-level fields of the profile. So the entries and
//! the sections are rendered once per kind of version, through the same code as
//! [`wire::profile_json`], with a placeholder where the prefix goes, and each request copies the
//! pieces. The result is the same bytes as serializing `{"profiles":[profile_json(…, true)]}`;
//! the tests below check it for every version.

use std::sync::LazyLock;

use super::version::Version;
use super::wire;
use crate::domain::catalogue::catalogue;
use crate::domain::ids;
use crate::domain::profile::{Org, Profile};

/// Stands where an org's prefix goes: a permission id is the prefix followed by twelve digits
/// (`ids::permission_id`). A private-use character, which no catalogue text holds (checked).
const PREFIX: char = '\u{E000}';

/// A piece of JSON with the org's prefix to be written between its parts.
struct Template {
    parts: Vec<Box<[u8]>>,
}

impl Template {
    fn new(json: &str) -> Self {
        Self { parts: json.split(PREFIX).map(|part| part.as_bytes().into()).collect() }
    }

    fn write(&self, out: &mut Vec<u8>, prefix: &[u8]) {
        for (k, part) in self.parts.iter().enumerate() {
            if k > 0 {
                out.extend_from_slice(prefix);
            }
            out.extend_from_slice(part);
        }
    }

    fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum::<usize>() + 7 * (self.parts.len() - 1)
    }
}

/// The cached pieces for one kind of version (v8 renders more keys per permission).
struct Pieces {
    /// Per permission, its entry when disabled and when enabled.
    permissions: Vec<[Template; 2]>,
    sections: Template,
    /// Bytes of the permissions and sections for a 7-digit prefix, to size the body once.
    size: usize,
}

impl Pieces {
    /// `None` when the placeholder trick does not hold for the id scheme or the catalogue, in
    /// which case bodies are rendered the slow way.
    fn build(v8: bool) -> Option<Self> {
        // A permission id is written as the prefix followed by its twelve-digit local part.
        let local = |i: usize| ids::permission_id(0, i);
        let probe = 1_234_567;
        let holds = (0..catalogue().len()).all(|i| {
            ids::permission_id(probe, i).to_string() == format!("{probe}{:012}", local(i))
        });
        // Every placeholder must stand for an id written: no catalogue text may hold the
        // character. Counting the ids asked for tells how many there must be.
        let asked = std::cell::Cell::new(0usize);
        let id = |i: usize| {
            asked.set(asked.get() + 1);
            format!("{PREFIX}{:012}", local(i))
        };
        let placeholders = |t: &Template| t.parts.len() - 1;

        let render = |state: bool| -> Option<Vec<Template>> {
            asked.set(0);
            let entries = wire::permission_entries(v8, &|_| state, &id);
            let templates: Vec<Template> = entries
                .iter()
                .map(|e| serde_json::to_string(e).ok().map(|j| Template::new(&j)))
                .collect::<Option<_>>()?;
            let found: usize = templates.iter().map(placeholders).sum();
            (found == asked.get()).then_some(templates)
        };
        let (off, on) = (render(false)?, render(true)?);
        asked.set(0);
        let sections = Template::new(&serde_json::to_string(&wire::section_entries(&id)).ok()?);
        if !holds || placeholders(&sections) != asked.get() {
            return None;
        }
        let size = on.iter().map(|t| t.len() + 1).sum::<usize>() + sections.len();
        let permissions = off.into_iter().zip(on).map(|(off, on)| [off, on]).collect();
        Some(Self { permissions, sections, size })
    }
}

static PIECES: LazyLock<[Option<Pieces>; 2]> =
    LazyLock::new(|| [Pieces::build(false), Pieces::build(true)]);

/// `{"profiles":[<the profile with its permissions and sections>]}` as `version` renders it.
pub fn profile_body(profile: &Profile, org: &Org, version: Version) -> Vec<u8> {
    let pieces = PIECES[usize::from(version >= Version::V8)].as_ref();
    let prefix = org.prefix.to_string();
    let (Some(pieces), 7) = (pieces, prefix.len()) else {
        let body =
            serde_json::json!({ "profiles": [wire::profile_json(profile, org, version, true)] });
        return serde_json::to_vec(&body).unwrap_or_default();
    };
    // The detail adds `permissions_details` and `sections` as the object's last keys, so the
    // profile without them, less its closing brace, is where the body starts.
    let head =
        serde_json::to_vec(&wire::profile_json(profile, org, version, false)).unwrap_or_default();
    let in_effect = catalogue().effective(&profile.permissions);

    let mut body = Vec::with_capacity(pieces.size + head.len() + 64);
    body.extend_from_slice(b"{\"profiles\":[");
    body.extend_from_slice(&head[..head.len().saturating_sub(1)]);
    body.extend_from_slice(b",\"permissions_details\":[");
    for (i, states) in pieces.permissions.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        states[usize::from(in_effect.is_enabled(i))].write(&mut body, prefix.as_bytes());
    }
    body.extend_from_slice(b"],\"sections\":");
    pieces.sections.write(&mut body, prefix.as_bytes());
    body.extend_from_slice(b"}]}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::PermissionSet;
    use crate::domain::profile::UserRef;

    fn slow(profile: &Profile, org: &Org, version: Version) -> Vec<u8> {
        let body =
            serde_json::json!({ "profiles": [wire::profile_json(profile, org, version, true)] });
        serde_json::to_vec(&body).unwrap()
    }

    fn org(prefix: i64) -> Org {
        Org {
            id: ids::org_id(prefix),
            prefix,
            name: "Acme \"Ltd\"".into(),
            profile_limit: 25,
            utc_offset_minutes: 330,
        }
    }

    fn profile(prefix: i64, permissions: PermissionSet, custom: bool) -> Profile {
        Profile {
            id: ids::entity_id(prefix, 100_007),
            name: "Sales \u{e9}\u{e8} \\ \"quoted\"".into(),
            api_name: "Sales".into(),
            description: custom.then(|| "line\nbreak".into()),
            custom,
            permissions,
            created_by: custom
                .then(|| UserRef { id: ids::entity_id(prefix, 100_002), name: "A B".into() }),
            modified_by: Some(UserRef { id: ids::entity_id(prefix, 100_002), name: "A B".into() }),
            created_at: custom.then_some(1_700_000_000),
            modified_at: Some(1_700_000_123),
        }
    }

    #[test]
    fn cached_pieces_exist_for_both_kinds_of_version() {
        assert!(PIECES[0].is_some() && PIECES[1].is_some());
    }

    #[test]
    fn the_body_is_byte_for_byte_what_serializing_the_profile_gives() {
        let c = catalogue();
        let mixed = PermissionSet::from_fn(c.len(), |i| i % 3 != 1);
        let sets =
            [c.administrator(), c.standard(), PermissionSet::from_fn(c.len(), |_| false), mixed];
        let all = [
            Version::V2,
            Version::V2_1,
            Version::V3,
            Version::V4,
            Version::V5,
            Version::V6,
            Version::V7,
            Version::V8,
        ];
        for version in all {
            for prefix in [1_000_000, 4_418_073, 9_223_371] {
                for (k, set) in sets.iter().enumerate() {
                    let p = profile(prefix, set.clone(), k % 2 == 1);
                    let fast = profile_body(&p, &org(prefix), version);
                    assert!(fast == slow(&p, &org(prefix), version), "{version:?} {prefix} {k}");
                }
            }
        }
    }
}
