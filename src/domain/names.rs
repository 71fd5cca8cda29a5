//! Rules for profile names and descriptions.
//!
//! Names are trimmed before any check and stored trimmed. Lengths count Unicode scalar values,
//! not bytes. Uniqueness within an org ignores letter case ([`ProfileName::key`]).

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 50;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 250;
/// Characters Zoho's OpenAPI file forbids in profile names.
const FORBIDDEN: &[char] = &[
    '~', '`', '#', '%', '^', '&', '*', '(', ')', '+', '|', ',', '=', '{', '}', ';', '[', ']', '"',
];

/// Why a name or description was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// Absent, `null`, or empty once trimmed.
    Missing,
    /// Longer than the limit, in characters.
    TooLong { maximum: usize },
    /// The distinct offending characters, in code point order.
    ForbiddenCharacters(Vec<char>),
}

/// A profile name that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName {
    name: String,
    key: String,
}

impl ProfileName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::Missing);
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(FieldError::TooLong { maximum: NAME_MAX_CHARS });
        }
        let mut bad: Vec<char> = name
            .chars()
            .filter(|&c| FORBIDDEN.contains(&c) || c.is_control() || is_invisible(c))
            .collect();
        if !bad.is_empty() {
            bad.sort_unstable();
            bad.dedup();
            return Err(FieldError::ForbiddenCharacters(bad));
        }
        Ok(Self { name: name.to_owned(), key: name_key(name) })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The form two names are compared in: "Sales Manager" and "sales manager" are one name.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// An `api_name` for a new profile: letters, digits and underscores, starting with a letter,
    /// as Zoho's OpenAPI file requires. The store makes it unique within the org.
    pub fn api_name_base(&self) -> String {
        let mut out = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        let trimmed = out.trim_end_matches('_');
        let mut api_name = match trimmed.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => trimmed.to_owned(),
            Some(_) => format!("Profile_{trimmed}"),
            None => "Profile".to_owned(),
        };
        api_name.truncate(40);
        api_name
    }
}

/// Characters that change how text is shown without being seen: zero-width spaces and joiners,
/// direction marks and overrides, the byte-order mark. In a name they would let two profiles
/// look alike while being different names.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Control characters a free text (a description) may not hold: all but tab, line feed and
/// carriage return. NUL in particular cannot be stored by PostgreSQL.
pub fn forbidden_in_text(text: &str) -> Vec<char> {
    let mut bad: Vec<char> =
        text.chars().filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')).collect();
    bad.sort_unstable();
    bad.dedup();
    bad
}

/// The uniqueness key of a name: trimmed and lower-cased with Unicode rules.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Checks a description; `None` (absent or `null`) is allowed and stays `None`.
pub fn parse_description(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw {
        None => Ok(None),
        Some(text) if text.chars().count() > DESCRIPTION_MAX_CHARS => {
            Err(FieldError::TooLong { maximum: DESCRIPTION_MAX_CHARS })
        }
        Some(text) => match forbidden_in_text(text) {
            bad if bad.is_empty() => Ok(Some(text.to_owned())),
            bad => Err(FieldError::ForbiddenCharacters(bad)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_compared_without_case() {
        let a = ProfileName::parse("  Sales Manager ").unwrap();
        let b = ProfileName::parse("SALES manager").unwrap();
        assert_eq!(a.as_str(), "Sales Manager");
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(ProfileName::parse(&"é".repeat(50)).is_ok());
        assert_eq!(
            ProfileName::parse(&"é".repeat(51)),
            Err(FieldError::TooLong { maximum: NAME_MAX_CHARS })
        );
        assert!(parse_description(Some(&"語".repeat(250))).is_ok());
        assert!(parse_description(Some(&"語".repeat(251))).is_err());
    }

    #[test]
    fn forbidden_characters_are_listed_once_in_code_point_order() {
        assert_eq!(
            ProfileName::parse("a^b#c%#"),
            Err(FieldError::ForbiddenCharacters(vec!['#', '%', '^']))
        );
        assert_eq!(
            ProfileName::parse("tab\there"),
            Err(FieldError::ForbiddenCharacters(vec!['\t']))
        );
        assert_eq!(ProfileName::parse("   "), Err(FieldError::Missing));
        assert_eq!(
            ProfileName::parse("Sales\u{200B} Manager"),
            Err(FieldError::ForbiddenCharacters(vec!['\u{200B}']))
        );
    }

    #[test]
    fn descriptions_keep_line_breaks_but_no_other_control_characters() {
        assert!(parse_description(Some("two\nlines\tand a tab")).is_ok());
        assert_eq!(
            parse_description(Some("a\u{0}b\u{7}")),
            Err(FieldError::ForbiddenCharacters(vec!['\u{0}', '\u{7}']))
        );
    }

    #[test]
    fn api_names_follow_zoho_pattern() {
        let api = |s: &str| ProfileName::parse(s).unwrap().api_name_base();
        assert_eq!(api("Sales Manager"), "Sales_Manager");
        assert_eq!(api("2nd line - support"), "Profile_2nd_line_support");
        assert_eq!(api("営業"), "Profile");
    }
}
