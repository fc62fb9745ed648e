// intro1: how backlings works.
//
// Each exercise is one small program from a real backend, shipped with a bug; its tests
// (at the bottom of the file) fail until you fix it. Read the header comment (like this
// one) for the lesson, change the code where `// TODO` points, and save: backlings
// re-runs the tests on every save. Never edit the tests below the marked line.
// This first exercise already passes: read the notes below, then press `n` to move on.

// Watch mode (`backlings` with no arguments) takes these keys:
//   n  next exercise (only once the current one passes)   h  show or hide the hint
//   l  list every exercise                                r  re-run the current one
//   x  reset this exercise as shipped (asks y/n; your version is kept in .backlings/backups/)
//   c  check every exercise                               q  quit
// From a shell: `backlings run [NAME]` runs an exercise once, `backlings hint [NAME]`
// shows its hint, `backlings list` lists them all, `backlings reset NAME` restores one.

/// The greeting a backend sends on `GET /`.
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
        assert!(
            greeting().starts_with("Hello"),
            "a greeting starts with \"Hello\"; got {:?}",
            greeting()
        );
    }
}
