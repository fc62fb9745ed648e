// intro1: how backlings works.
//
// Welcome! Each exercise is one small Rust program from a real backend: an HTTP handler,
// a parser, a query. Each one ships with a bug, and its tests (at the bottom of the file)
// fail until you fix it. You edit the file in your editor; backlings watches it and
// re-runs the tests every time you save, showing you the compiler errors or the failing
// assertion.
//
// - Read the header comment (like this one): it says what the lesson is and what to do.
// - `// TODO` marks the place to change. Never edit the tests below the marked line.
// - Stuck? Press `h` in backlings for a hint, or run `backlings hint`.
// - When the tests pass, press `n` to move on to the next exercise.
//
// This first exercise already passes: there is nothing to fix. Read it, then press `n`.

/// The greeting a backend sends on `GET /`. The next exercise serves it over HTTP.
fn greeting() -> &'static str {
    "Hello from backlings!"
}

fn main() {
    println!("{}", greeting());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_is_friendly() {
        assert!(greeting().starts_with("Hello"));
    }
}
