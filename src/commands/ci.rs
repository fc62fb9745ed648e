//! `backlings ci github|gitlab`: writes a ready CI workflow into the learner's repository.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::ci::{self, Install, ReferenceSource};
use crate::course::BUNDLED_MARKER;
use crate::{exercise, fsutil, style};

#[derive(Debug, Clone, Subcommand)]
pub enum CiCommand {
    /// GitHub Actions: `.github/workflows/backlings.yml`, or with --classroom the
    /// `classroom.yml` that GitHub Classroom's autograding runs.
    Github {
        #[command(flatten)]
        options: CiArgs,
        /// Publish the points to GitHub Classroom through its autograding reporter.
        #[arg(long)]
        classroom: bool,
    },
    /// GitLab CI: `.gitlab-ci.yml`, with the JUnit report as the pipeline's test report.
    Gitlab {
        #[command(flatten)]
        options: CiArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CiArgs {
    /// Grade against the teacher's repository (GitHub: OWNER/NAME; GitLab: a clone URL)
    /// instead of the course bundled in backlings.
    #[arg(long, value_name = "REPO")]
    pub reference_repo: Option<String>,
    /// The branch or tag of the reference repository to grade against.
    #[arg(long, value_name = "REF", requires = "reference_repo")]
    pub reference_ref: Option<String>,
    /// Install backlings from this git repository (tag v<version>) instead of crates.io.
    #[arg(long, value_name = "URL")]
    pub install_git: Option<String>,
    /// Replace an existing workflow file (the old one is kept under .backlings/backups/).
    #[arg(long)]
    pub force: bool,
}

pub fn run(start: &Path, command: &CiCommand) -> anyhow::Result<ExitCode> {
    let root = exercise::find_root(start)?;
    let (args, rel, text) = match command {
        CiCommand::Github { options, classroom } => {
            let opts = options_for(&root, options)?;
            let file = if *classroom {
                "classroom.yml"
            } else {
                "backlings.yml"
            };
            (
                options,
                PathBuf::from(".github/workflows").join(file),
                ci::github_workflow(&opts, *classroom),
            )
        }
        CiCommand::Gitlab { options } => {
            let opts = options_for(&root, options)?;
            (
                options,
                PathBuf::from(".gitlab-ci.yml"),
                ci::gitlab_pipeline(&opts),
            )
        }
    };
    let path = root.join(&rel);
    if let Ok(old) = std::fs::read(&path) {
        if !args.force {
            bail!(
                "{} already exists; pass --force to replace it (the old one is kept under .backlings/backups/)",
                path.display()
            );
        }
        let file_name = rel.file_name().map(|n| n.to_string_lossy().into_owned());
        fsutil::keep_copy(
            &exercise::data_dir(&root).join("backups"),
            &file_name.unwrap_or_default(),
            &old,
        )
        .with_context(|| format!("keeping a copy of {}", path.display()))?;
    }
    fsutil::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "Wrote {}. Commit it; every push is then graded.",
        style::emphasis().apply_to(rel.display())
    );
    Ok(ExitCode::SUCCESS)
}

fn options_for(root: &Path, args: &CiArgs) -> anyhow::Result<ci::Options> {
    let reference = match &args.reference_repo {
        Some(repo) => ReferenceSource::Repository {
            repo: repo.clone(),
            git_ref: args.reference_ref.clone(),
        },
        None if exercise::data_dir(root).join(BUNDLED_MARKER).is_file() => ReferenceSource::Bundled,
        None => bail!(
            "{} was not written by `backlings init`, so CI needs the reference to grade against: pass --reference-repo (the teacher's repository)",
            root.display()
        ),
    };
    Ok(ci::Options {
        version: env!("CARGO_PKG_VERSION").into(),
        install: match &args.install_git {
            Some(url) => Install::Git(url.clone()),
            None => Install::CratesIo,
        },
        reference,
    })
}
