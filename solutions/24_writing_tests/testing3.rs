// testing3: write the tests for an input validator.
//
// `validate_sign_up` checks a sign-up form and is correct; the tests are missing. Write
// tests that pin down every rule in its doc comment, especially at the edges: the last
// value accepted and the first refused on each side, input that is not plain ASCII,
// whitespace around values. They are run against this code (they must pass) and against
// "mutants", copies of it with one bug planted each (every mutant must make at least one
// of your tests fail). Don't edit above the marker line: the mutants replace it.

#[derive(Debug, Clone)]
struct SignUpForm {
    username: String,
    email: String,
    password: String,
}

/// A form that passed validation, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NewAccount {
    username: String,
    email: String,
    password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignUpError {
    /// The username is not 3 to 20 characters long.
    UsernameLength,
    /// The username has a character other than an ASCII letter, an ASCII digit, `_`, `-`.
    UsernameCharacters,
    /// Another account has this username already.
    UsernameTaken,
    /// The email is not shaped like `someone@example.com`.
    EmailShape,
    /// The password is not 12 to 128 characters long.
    PasswordLength,
}

/// Validates a sign-up form; `taken` holds the usernames of the existing accounts.
///
/// The rules, checked in this order (the error is the first rule broken):
/// - username: whitespace around it is trimmed; then it has 3 to 20 characters, each an
///   ASCII letter, an ASCII digit, `_` or `-` (so no look-alike letters from other
///   alphabets); it is not taken, ignoring case (`Ada` is taken when `ada` exists).
/// - email: whitespace around it is trimmed; then exactly one `@`, something before it,
///   and after it a domain with a dot that is neither its first nor its last character;
///   no whitespace anywhere.
/// - password: 12 to 128 characters, both included, counted in characters, not bytes
///   (`é` and `🔑` are one character each); kept exactly as typed, never trimmed
///   (spaces belong to a passphrase).
///
/// On success: the trimmed username and email, and the password as typed.
fn validate_sign_up(form: &SignUpForm, taken: &[&str]) -> Result<NewAccount, SignUpError> {
    let username = form.username.trim();
    if !(3..=20).contains(&username.chars().count()) {
        return Err(SignUpError::UsernameLength);
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(SignUpError::UsernameCharacters);
    }
    if taken
        .iter()
        .any(|existing| existing.eq_ignore_ascii_case(username))
    {
        return Err(SignUpError::UsernameTaken);
    }

    let email = form.email.trim();
    if !is_email_shaped(email) {
        return Err(SignUpError::EmailShape);
    }

    if !(12..=128).contains(&form.password.chars().count()) {
        return Err(SignUpError::PasswordLength);
    }

    Ok(NewAccount {
        username: username.to_string(),
        email: email.to_string(),
        password: form.password.clone(),
    })
}

fn is_email_shaped(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn main() {
    let form = SignUpForm {
        username: " ada_l ".to_string(),
        email: "ada@example.com".to_string(),
        password: "analytical engine".to_string(),
    };
    println!("{:?}", validate_sign_up(&form, &["grace"]));
    println!("{:?}", validate_sign_up(&form, &["ADA_L"]));
}

// Your tests: write them below this line.
#[cfg(test)]
mod tests {
    use super::*;

    /// A valid form; each test changes one field of it.
    fn form() -> SignUpForm {
        SignUpForm {
            username: "ada_l-99".to_string(),
            email: "ada@example.com".to_string(),
            password: "analytical engine".to_string(),
        }
    }

    fn with_password(password: &str) -> SignUpForm {
        SignUpForm {
            password: password.to_string(),
            ..form()
        }
    }

    fn with_username(username: &str) -> SignUpForm {
        SignUpForm {
            username: username.to_string(),
            ..form()
        }
    }

    fn with_email(email: &str) -> SignUpForm {
        SignUpForm {
            email: email.to_string(),
            ..form()
        }
    }

    /// The error for `form`, or `None` when it was accepted.
    fn error_for(form: &SignUpForm, taken: &[&str]) -> Option<SignUpError> {
        validate_sign_up(form, taken).err()
    }

    #[test]
    fn a_valid_form_is_accepted_with_username_and_email_trimmed() {
        let form = SignUpForm {
            username: "  ada_l-99\t".to_string(),
            email: " ada@example.com\n".to_string(),
            password: "  correct horse battery staple ".to_string(),
        };
        assert_eq!(
            validate_sign_up(&form, &["grace"]),
            Ok(NewAccount {
                username: "ada_l-99".to_string(),
                email: "ada@example.com".to_string(),
                password: "  correct horse battery staple ".to_string(),
            }),
            "whitespace around the username and email is trimmed, the password is kept as typed"
        );
    }

    #[test]
    fn the_password_has_12_to_128_characters() {
        for (length, expected) in [
            (11, Some(SignUpError::PasswordLength)),
            (12, None),
            (128, None),
            (129, Some(SignUpError::PasswordLength)),
        ] {
            assert_eq!(
                error_for(&with_password(&"p".repeat(length)), &[]),
                expected,
                "a password of {length} characters: 12 to 128 are accepted, both included"
            );
        }
    }

    #[test]
    fn the_password_length_counts_characters_not_bytes() {
        for (password, expected) in [
            ("é".repeat(11), Some(SignUpError::PasswordLength)),
            ("é".repeat(12), None),
            ("é".repeat(128), None),
            ("🔑".repeat(11), Some(SignUpError::PasswordLength)),
            ("🔑".repeat(128), None),
        ] {
            let (chars, bytes) = (password.chars().count(), password.len());
            assert_eq!(
                error_for(&with_password(&password), &[]),
                expected,
                "a password of {chars} characters ({bytes} bytes in UTF-8): the limits count characters"
            );
        }
    }

    #[test]
    fn a_taken_username_is_refused_whatever_its_case() {
        for username in ["ada", "Ada", "ADA", " aDa "] {
            assert_eq!(
                error_for(&with_username(username), &["grace", "ada"]),
                Some(SignUpError::UsernameTaken),
                "{username:?} is the taken name `ada` in another case: two accounts would look the same"
            );
        }
        assert_eq!(
            error_for(&with_username("adam"), &["grace", "ada"]),
            None,
            "`adam` is not taken (only `ada` is)"
        );
    }

    #[test]
    fn a_username_has_ascii_letters_digits_underscores_and_dashes_only() {
        for username in [
            "\u{430}da",
            "jos\u{e9}",
            "\u{1d41a}da",
            "ada lovelace",
            "ada!",
            "ada.l",
        ] {
            assert_eq!(
                error_for(&with_username(username), &[]),
                Some(SignUpError::UsernameCharacters),
                "{username:?} has a character that is not an ASCII letter, digit, `_` or `-` \
                 (look-alike letters let an impostor register `\u{430}dmin`)"
            );
        }
        assert_eq!(
            error_for(&with_username("Ada_L-99"), &[]),
            None,
            "`Ada_L-99` uses only allowed characters"
        );
    }

    #[test]
    fn a_username_has_3_to_20_characters_after_trimming() {
        for (username, expected) in [
            ("ab", Some(SignUpError::UsernameLength)),
            ("  ab  ", Some(SignUpError::UsernameLength)),
            ("abc", None),
            ("a".repeat(20).as_str(), None),
            ("a".repeat(21).as_str(), Some(SignUpError::UsernameLength)),
        ] {
            assert_eq!(
                error_for(&with_username(username), &[]),
                expected,
                "the username {username:?}: 3 to 20 characters once trimmed are accepted"
            );
        }
    }

    #[test]
    fn an_email_must_be_shaped_like_one() {
        for email in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada@home@example.com",
            "ada@.example.com",
            "ada@example.",
            "ada lovelace@example.com",
        ] {
            assert_eq!(
                error_for(&with_email(email), &[]),
                Some(SignUpError::EmailShape),
                "{email:?} is not shaped like an email address"
            );
        }
        for email in ["a@b.co", "ada.lovelace+news@mail.example.org"] {
            assert_eq!(
                error_for(&with_email(email), &[]),
                None,
                "{email:?} is a well-shaped email address"
            );
        }
    }
}
