// mutant: accepts an 11-character password
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

    if !(11..=128).contains(&form.password.chars().count()) {
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

