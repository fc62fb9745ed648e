// wrong fix: one clearly good and one clearly bad value per rule (a 5-character and a 200-character password, `ada!`, an exact-case taken name): nothing near a limit, no non-ASCII input, no whitespace, so off-by-one limits, byte counting, case and look-alike letters all pass
#[cfg(test)]
mod tests {
    use super::*;

    fn form(username: &str, email: &str, password: &str) -> SignUpForm {
        SignUpForm {
            username: username.to_string(),
            email: email.to_string(),
            password: password.to_string(),
        }
    }

    #[test]
    fn a_good_form_is_accepted() {
        let account = validate_sign_up(&form("ada", "ada@example.com", "analytical engine"), &[]);
        assert!(account.is_ok());
    }

    #[test]
    fn bad_forms_are_refused() {
        let cases = [
            (
                form("ada", "ada@example.com", "short"),
                SignUpError::PasswordLength,
            ),
            (
                form("ada", "ada@example.com", &"p".repeat(200)),
                SignUpError::PasswordLength,
            ),
            (
                form("ada!", "ada@example.com", "analytical engine"),
                SignUpError::UsernameCharacters,
            ),
            (
                form("ada", "not an email", "analytical engine"),
                SignUpError::EmailShape,
            ),
        ];
        for (form, expected) in cases {
            assert_eq!(validate_sign_up(&form, &[]), Err(expected));
        }
        assert_eq!(
            validate_sign_up(
                &form("ada", "ada@example.com", "analytical engine"),
                &["ada"]
            ),
            Err(SignUpError::UsernameTaken)
        );
    }
}
