//! The master password policy: how strong a new master password is (zxcvbn), and what a new
//! vault's setup should be warned about. The app refuses a password below [`MIN_SCORE`];
//! `keyward init` and `passwd` warn on stderr instead (scripts make test vaults).

use super::KdfParams;

/// The lowest zxcvbn score (0 to 4) the app accepts for a master password.
pub const MIN_SCORE: u8 = 3;

/// What zxcvbn says about a password. Holds advice only, never the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordStrength {
    /// zxcvbn's score, 0 (guessed at once) to 4 (very hard to guess).
    pub score: u8,
    /// What is wrong with it, if zxcvbn knows.
    pub warning: Option<String>,
    /// How to make it stronger.
    pub suggestions: Vec<String>,
}

impl PasswordStrength {
    /// Rates `password`.
    pub fn of(password: &str) -> Self {
        let entropy = zxcvbn::zxcvbn(password, &["keyward"]);
        let feedback = entropy.feedback();
        PasswordStrength {
            score: u8::from(entropy.score()),
            warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
            suggestions: feedback
                .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }
    }

    /// True when the score reaches [`MIN_SCORE`].
    pub fn is_strong_enough(&self) -> bool {
        self.score >= MIN_SCORE
    }

    /// The score in words: "very weak" … "very strong".
    pub fn words(&self) -> &'static str {
        match self.score {
            0 => "very weak",
            1 => "weak",
            2 => "fair",
            3 => "strong",
            _ => "very strong",
        }
    }

    /// zxcvbn's warning and suggestions as one text ("" when it has none).
    pub fn advice(&self) -> String {
        self.warning
            .iter()
            .chain(&self.suggestions)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What to warn about when a vault gets a new master password under `kdf`: a password below
/// [`MIN_SCORE`], and key derivation weaker than the default. Empty when all is well.
pub fn setup_warnings(strength: &PasswordStrength, kdf: KdfParams) -> Vec<String> {
    let mut warnings = Vec::new();
    if !strength.is_strong_enough() {
        let advice = strength.advice();
        warnings.push(format!(
            "the master password is weak ({}, zxcvbn score {}/4; the app asks for {MIN_SCORE}): \
             anyone holding the file can guess it quickly.{}{}",
            strength.words(),
            strength.score,
            if advice.is_empty() { "" } else { " " },
            advice
        ));
    }
    warnings.extend(kdf_warning(kdf));
    warnings
}

/// The warning for key derivation weaker than the default (less memory or fewer passes), or
/// `None`: shown by `init` and `passwd`, and by the app beside its strength menu.
pub fn kdf_warning(kdf: KdfParams) -> Option<String> {
    kdf.is_below_default().then(|| {
        format!(
            "the key derivation ({kdf}) is weaker than the default ({}): each guess at the \
             password costs a thief less. Fine for a test vault or a small machine; for real \
             keys on a desktop, use the default",
            KdfParams::default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_get_advice_and_strong_ones_pass() {
        let weak = PasswordStrength::of("a");
        assert!(!weak.is_strong_enough());
        assert!(weak.score < MIN_SCORE);
        assert!(!weak.advice().is_empty(), "zxcvbn says what to do");
        let common = PasswordStrength::of("password");
        assert_eq!(common.score, 0);
        let strong = PasswordStrength::of("correct horse battery staple");
        assert!(strong.is_strong_enough(), "score {}", strong.score);
        assert!(PasswordStrength::of("").score == 0);
    }

    #[test]
    fn setup_warnings_name_the_weak_password_and_the_weak_kdf() {
        let weak = PasswordStrength::of("a");
        let strong = PasswordStrength::of("correct horse battery staple");
        let fast = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(setup_warnings(&strong, KdfParams::default()).is_empty());
        let both = setup_warnings(&weak, fast);
        assert_eq!(both.len(), 2);
        assert!(both[0].contains("weak") && both[0].contains(&weak.advice()));
        assert!(both[1].contains("m=1 MiB") && both[1].contains("weaker than the default"));
        let stronger = KdfParams {
            memory_kib: 256 * 1024,
            iterations: 4,
            parallelism: 1,
        };
        assert!(
            setup_warnings(&strong, stronger).is_empty(),
            "fewer lanes is not weaker"
        );
    }
}
