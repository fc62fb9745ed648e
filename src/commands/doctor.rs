//! `backlings doctor`: what this machine provides for the set here. The toolchain, and
//! every service the set's exercises need, started for real and timed: the cluster's
//! start and one fresh database, as each run gets one.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::exercise::{self, ExerciseSet};
use crate::exit::FAILED as EXIT_FAILED;
use crate::manifest::Service;
use crate::services::{Services, postgres, service_title};
use crate::style;

pub fn run(start: &Path) -> anyhow::Result<ExitCode> {
    let mut healthy = true;
    println!("{}", style::emphasis().apply_to("toolchain"));
    for tool in ["cargo", "rustc"] {
        healthy &= show_tool(tool);
    }
    let set = exercise::find_root(start)
        .ok()
        .and_then(|root| ExerciseSet::load(&root).ok());
    println!("{}", style::emphasis().apply_to("services"));
    let Some(set) = set else {
        println!("  no exercise set here (no info.toml); checking PostgreSQL anyway");
        let services = Services::for_set(&std::env::temp_dir().join("backlings-doctor"));
        // Nothing here needs it: what it says is information, not a failure.
        show_postgres(&services, 0);
        return Ok(exit(healthy));
    };
    let services = Services::for_set(&set.root);
    for service in Service::ALL {
        let needing = set
            .exercises
            .iter()
            .filter(|e| e.entry.services.contains(&service))
            .count();
        match service {
            Service::Postgres => {
                // A set that needs no PostgreSQL is healthy without it.
                let found = show_postgres(&services, needing);
                healthy &= found || needing == 0;
            }
        }
    }
    Ok(exit(healthy))
}

fn exit(healthy: bool) -> ExitCode {
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn show_tool(tool: &str) -> bool {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let version = String::from_utf8_lossy(&out.stdout);
            println!("  {} {tool:<9} {}", ok_mark(), version.trim());
            true
        }
        _ => {
            println!(
                "  {} {tool:<9} not found: install Rust with rustup (https://rustup.rs)",
                bad_mark()
            );
            false
        }
    }
}

/// Starts the cluster, creates and drops one database, and says how long each took.
fn show_postgres(services: &Services, needing: usize) -> bool {
    let title = service_title(Service::Postgres);
    let needed_by = match needing {
        0 => "no exercise here needs it".to_string(),
        1 => "1 exercise needs it".to_string(),
        n => format!("{n} exercises need it"),
    };
    let started = Instant::now();
    let result = services.with_postgres(|cluster| {
        let start_time = started.elapsed();
        let made = Instant::now();
        let database = cluster.create_database("doctor")?;
        let create_time = made.elapsed();
        database.drop_now();
        Ok(describe(cluster, start_time, create_time))
    });
    match result {
        Ok(lines) => {
            println!(
                "  {} {:<9} {} ({needed_by})",
                ok_mark(),
                "postgres",
                lines[0]
            );
            for line in &lines[1..] {
                println!("    {:<9} {line}", "");
            }
            true
        }
        Err(unavailable) => {
            let mark = if needing == 0 {
                warn_mark()
            } else {
                bad_mark()
            };
            println!(
                "  {mark} {:<9} {title} unavailable ({needed_by}): {}",
                "postgres", unavailable.why
            );
            false
        }
    }
}

fn describe(
    cluster: &postgres::Cluster,
    start_time: std::time::Duration,
    create_time: std::time::Duration,
) -> Vec<String> {
    let install = cluster.install();
    let mut lines = vec![format!(
        "PostgreSQL {} in {}",
        install.version,
        install.bin_dir.display()
    )];
    lines.push(format!("cluster   {}", cluster.data_dir().display()));
    lines.push(format!(
        "socket    {} (Unix socket only, no TCP)",
        cluster.socket_dir().display()
    ));
    lines.push(format!("log       {}", cluster.log_file().display()));
    if nix::unistd::Uid::effective().is_root() {
        lines.push("runs as   an unprivileged account (PostgreSQL refuses root)".into());
    }
    lines.push(format!(
        "start     {} ms{}",
        start_time.as_millis(),
        if cluster.initialised {
            " (cluster created first: initdb)"
        } else {
            ""
        }
    ));
    lines.push(format!(
        "database  {} ms for a fresh one (each run gets its own)",
        create_time.as_millis()
    ));
    lines
}

fn ok_mark() -> console::StyledObject<&'static str> {
    style::success().apply_to("ok ")
}

fn bad_mark() -> console::StyledObject<&'static str> {
    style::failure().apply_to("no ")
}

fn warn_mark() -> console::StyledObject<&'static str> {
    style::warning().apply_to("-- ")
}
