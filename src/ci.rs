//! CI workflows for a learner's repository: GitHub Actions (optionally wired to GitHub
//! Classroom's autograding reporter) and GitLab CI. Each installs this exact backlings
//! version, caches the build, grades against a reference the learner cannot edit, and
//! publishes the JUnit report and the Markdown summary. Pure text generation.

use std::fmt::Write as _;

/// Where the reference set comes from in CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceSource {
    /// The course bundled in the pinned backlings (for `backlings init` workspaces).
    Bundled,
    /// A teacher's repository, cloned fresh on every run (`owner/name` on GitHub, a clone
    /// URL on GitLab), optionally at a ref.
    Repository {
        repo: String,
        git_ref: Option<String>,
    },
}

/// How CI installs backlings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// `cargo install backlings --version V --locked` from crates.io.
    CratesIo,
    /// `cargo install --git URL --tag vV --locked`.
    Git(String),
}

/// What goes into a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub version: String,
    pub install: Install,
    pub reference: ReferenceSource,
}

/// Where the reference is checked out in CI, relative to the repository.
pub const REFERENCE_DIR: &str = ".backlings-reference";
/// File names of the reports the grading step writes.
pub const JUNIT_FILE: &str = "backlings-junit.xml";
pub const MARKDOWN_FILE: &str = "backlings-summary.md";
pub const CLASSROOM_FILE: &str = "backlings-classroom.json";

impl Options {
    fn install_command(&self) -> String {
        match &self.install {
            Install::CratesIo => format!(
                "cargo install backlings --version {} --locked",
                self.version
            ),
            Install::Git(url) => format!(
                "cargo install --git {url} --tag v{} --locked backlings",
                self.version
            ),
        }
    }

    fn against(&self) -> String {
        match self.reference {
            ReferenceSource::Bundled => String::new(),
            ReferenceSource::Repository { .. } => format!(" --against {REFERENCE_DIR}"),
        }
    }

    /// The grading command, writing every report from one run.
    pub fn grade_command(&self, classroom: bool) -> String {
        let mut command = format!(
            "backlings grade{} --report junit={JUNIT_FILE} --report markdown={MARKDOWN_FILE}",
            self.against()
        );
        if classroom {
            command.push_str(&format!(" --report classroom={CLASSROOM_FILE}"));
        }
        command
    }
}

/// A GitHub Actions workflow; with `classroom`, the one GitHub Classroom runs
/// (`.github/workflows/classroom.yml`), feeding its autograding reporter.
pub fn github_workflow(options: &Options, classroom: bool) -> String {
    let mut out = String::new();
    let name = if classroom {
        "Autograding Tests"
    } else {
        "backlings"
    };
    let _ = writeln!(
        out,
        "# Written by `backlings ci github{}` (backlings {}). It grades this repository's\n# exercises against a reference the learner cannot edit.",
        if classroom { " --classroom" } else { "" },
        options.version
    );
    let _ = writeln!(out, "name: {name}");
    out.push_str("\"on\":\n  push:\n  workflow_dispatch:\n");
    if classroom {
        out.push_str("  repository_dispatch:\n");
    }
    out.push_str("permissions:\n  checks: write\n  actions: read\n  contents: read\n");
    out.push_str("jobs:\n  grade:\n");
    // The Classroom reporter looks for the check run of this name.
    let _ = writeln!(out, "    name: {name}");
    out.push_str("    runs-on: ubuntu-latest\n    timeout-minutes: 30\n");
    if classroom {
        out.push_str("    if: github.actor != 'github-classroom[bot]'\n");
    }
    out.push_str(
        "    steps:\n      - name: Check out the work\n        uses: actions/checkout@v4\n",
    );
    if let ReferenceSource::Repository { repo, git_ref } = &options.reference {
        let _ = write!(
            out,
            "      - name: Check out the reference\n        uses: actions/checkout@v4\n        with:\n          repository: {repo}\n          path: {REFERENCE_DIR}\n"
        );
        if let Some(git_ref) = git_ref {
            let _ = writeln!(out, "          ref: {git_ref}");
        }
    }
    let _ = write!(
        out,
        "      - name: Cache backlings and the build\n        uses: actions/cache@v4\n        with:\n          path: |\n            ~/.cargo/bin/backlings\n            ~/.cargo/registry\n            ~/.cache/backlings\n          key: backlings-{version}-${{{{ runner.os }}}}-${{{{ hashFiles('Cargo.lock') }}}}\n          restore-keys: backlings-{version}-${{{{ runner.os }}}}-\n",
        version = options.version
    );
    let _ = write!(
        out,
        "      - name: Install backlings {version}\n        run: |\n          if ! backlings --version 2>/dev/null | grep -qx 'backlings {version}'; then\n            {install}\n          fi\n",
        version = options.version,
        install = options.install_command()
    );
    let _ = write!(
        out,
        "      - name: Grade\n        id: backlings\n        run: |\n          status=0\n          {grade} || status=$?\n",
        grade = options.grade_command(classroom)
    );
    if classroom {
        let _ = write!(
            out,
            "          echo \"result=$(base64 -w0 {CLASSROOM_FILE})\" >> \"$GITHUB_OUTPUT\"\n          # The reporter decides the outcome; a crash of the grader itself still fails here.\n          if [ \"$status\" -gt 1 ]; then exit \"$status\"; fi\n"
        );
    } else {
        out.push_str("          exit \"$status\"\n");
    }
    let _ = write!(
        out,
        "      - name: Test report\n        if: always()\n        uses: mikepenz/action-junit-report@v5\n        with:\n          report_paths: {JUNIT_FILE}\n          check_name: backlings tests\n"
    );
    if classroom {
        out.push_str("      - name: Autograding Reporter\n        uses: education/autograding-grading-reporter@v1\n        env:\n          BACKLINGS_RESULTS: \"${{ steps.backlings.outputs.result }}\"\n        with:\n          runners: backlings\n");
    }
    out
}

/// A GitLab CI pipeline (`.gitlab-ci.yml`).
pub fn gitlab_pipeline(options: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `backlings ci gitlab` (backlings {}). It grades this repository's\n# exercises against a reference the learner cannot edit.",
        options.version
    );
    out.push_str("grade:\n  image: rust:1\n  variables:\n    CARGO_HOME: $CI_PROJECT_DIR/.cargo\n    BACKLINGS_CACHE_DIR: $CI_PROJECT_DIR/.backlings-cache\n");
    let _ = write!(
        out,
        "  cache:\n    key: backlings-{}\n    paths:\n      - .cargo/bin\n      - .cargo/registry\n      - .backlings-cache\n",
        options.version
    );
    out.push_str("  script:\n");
    let _ = writeln!(
        out,
        "    - export PATH=\"$CARGO_HOME/bin:$PATH\"\n    - backlings --version 2>/dev/null | grep -qx 'backlings {}' || {}",
        options.version,
        options.install_command()
    );
    if let ReferenceSource::Repository { repo, git_ref } = &options.reference {
        let branch = git_ref
            .as_ref()
            .map(|r| format!(" --branch {r}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    - git clone --depth 1{branch} {repo} {REFERENCE_DIR}"
        );
    }
    let _ = writeln!(out, "    - {}", options.grade_command(false));
    let _ = write!(
        out,
        "  artifacts:\n    when: always\n    paths:\n      - {MARKDOWN_FILE}\n    reports:\n      junit: {JUNIT_FILE}\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(reference: ReferenceSource) -> Options {
        Options {
            version: "0.1.0".into(),
            install: Install::CratesIo,
            reference,
        }
    }

    #[test]
    fn the_grading_command_writes_every_report_from_one_run() {
        let teacher = options(ReferenceSource::Repository {
            repo: "school/course".into(),
            git_ref: None,
        });
        assert_eq!(
            teacher.grade_command(true),
            "backlings grade --against .backlings-reference --report junit=backlings-junit.xml --report markdown=backlings-summary.md --report classroom=backlings-classroom.json"
        );
        assert!(
            !options(ReferenceSource::Bundled)
                .grade_command(false)
                .contains("--against")
        );
    }

    #[test]
    fn github_classroom_workflow_snapshot() {
        let teacher = options(ReferenceSource::Repository {
            repo: "school/course".into(),
            git_ref: Some("v2".into()),
        });
        insta::assert_snapshot!(github_workflow(&teacher, true));
    }

    #[test]
    fn gitlab_pipeline_snapshot() {
        insta::assert_snapshot!(gitlab_pipeline(&options(ReferenceSource::Bundled)));
    }
}
