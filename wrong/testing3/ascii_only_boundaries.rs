// wrong fix: tests every limit at 11/12 and 128/129, case and trimming, but only with ASCII input: a length counted in bytes and letters from other alphabets go unnoticed, because for ASCII one byte is one character and one letter
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

    fn password_error(length: usize) -> Option<SignUpError> {
        validate_sign_up(&form("ada", "ada@example.com", &"p".repeat(length)), &[]).err()
    }

    #[test]
    fn password_limits() {
        assert_eq!(password_error(11), Some(SignUpError::PasswordLength));
        assert_eq!(password_error(12), None);
        assert_eq!(password_error(128), None);
        assert_eq!(password_error(129), Some(SignUpError::PasswordLength));
    }

    #[test]
    fn taken_names_ignore_case() {
        let result = validate_sign_up(
            &form("Ada", "ada@example.com", "analytical engine"),
            &["ada"],
        );
        assert_eq!(result, Err(SignUpError::UsernameTaken));
    }

    #[test]
    fn username_and_email_are_trimmed() {
        let account = validate_sign_up(
            &form(" ada ", " ada@example.com ", "analytical engine"),
            &[],
        )
        .unwrap();
        assert_eq!(account.username, "ada");
        assert_eq!(account.email, "ada@example.com");
    }

    #[test]
    fn bad_characters_are_refused() {
        let result = validate_sign_up(&form("ada!", "ada@example.com", "analytical engine"), &[]);
        assert_eq!(result, Err(SignUpError::UsernameCharacters));
    }
}
