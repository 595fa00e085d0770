//! The one error of every "name to value" parser (environments, credential kinds, fields,
//! formats, clash rules, CSV columns): what was given and what to use instead.

/// A name that is not one of the accepted ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}' (use {choices})")]
pub struct UnknownName {
    /// What kind of name it was meant to be ("environment", "kind", …).
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The accepted names, as a phrase ("prod, test or other").
    pub choices: &'static str,
}

impl UnknownName {
    /// The error for `given`, which is not a `what`; `choices` lists what is accepted.
    pub fn new(what: &'static str, given: &str, choices: &'static str) -> Self {
        UnknownName {
            what,
            given: given.to_owned(),
            choices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_was_given_and_what_to_use() {
        let e = UnknownName::new("environment", "prd", "prod, test or other");
        assert_eq!(
            e.to_string(),
            "unknown environment 'prd' (use prod, test or other)"
        );
    }
}
