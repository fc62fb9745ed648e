//! Cost of loading, listing and checking the manifest of large sets: time and peak memory
//! for 1k, 10k and 100k exercises. Linear cost shows as a steady time and memory per
//! exercise down the table.
//!
//! Run: `cargo bench --bench scale` (options after `--`: `--sizes 1000,10000,100000`).
//! Each size runs in a fresh process so its peak memory is its own. Cargo itself is not
//! measured: its metadata for the bins is generated, as `cargo metadata` would give it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use backlings::cargo::{BinTarget, Metadata};
use backlings::exercise::ExerciseSet;
use backlings::state::Progress;
use backlings::{manifest, sync};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(size) = value_of(&args, "--one") {
        measure(size.parse().expect("a size"));
        return;
    }
    let sizes: Vec<usize> = value_of(&args, "--sizes")
        .unwrap_or("1000,10000,100000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "{:>9} {:>9} {:>10} {:>9} {:>9} {:>10} {:>12} {:>10} {:>12}",
        "exercises",
        "parse ms",
        "assemble",
        "list ms",
        "check ms",
        "total ms",
        "µs/exercise",
        "peak MiB",
        "KiB/exercise"
    );
    let me = std::env::current_exe().expect("own path");
    for size in sizes {
        let output = Command::new(&me)
            .args(["--one", &size.to_string()])
            .output()
            .expect("run one size");
        print!("{}", String::from_utf8_lossy(&output.stdout));
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        }
    }
}

fn value_of<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).map(String::as_str)
}

fn name(i: usize) -> String {
    format!("ex{i}")
}

fn chapter(i: usize) -> String {
    format!("ch{:04}", i / 100)
}

fn inputs(size: usize, root: &Path) -> (String, String, Metadata) {
    let mut info = String::from("format_version = 1\n");
    let mut cargo = String::from(
        "[package]\nname = \"exercises\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[workspace]\n",
    );
    let mut bins = Vec::with_capacity(size);
    for i in 0..size {
        let (name, chapter) = (name(i), chapter(i));
        let _ = write!(
            info,
            "\n[[exercises]]\nname = \"{name}\"\ndir = \"{chapter}\"\nhint = \"look at line {i}\"\n"
        );
        let rel = format!("exercises/{chapter}/{name}.rs");
        let _ = write!(cargo, "\n[[bin]]\nname = \"{name}\"\npath = \"{rel}\"\n");
        bins.push(BinTarget {
            package: "exercises".into(),
            name,
            src_path: root.join(&rel),
            edition: "2024".into(),
            package_dir: root.to_path_buf(),
        });
    }
    let metadata = Metadata {
        bins,
        target_directory: root.join("target"),
        workspace_root: root.to_path_buf(),
    };
    (info, cargo, metadata)
}

fn measure(size: usize) {
    let root = PathBuf::from("/nonexistent/set");
    let (info, cargo_toml, metadata) = inputs(size, &root);

    let started = Instant::now();
    let parsed = manifest::parse(&info).expect("valid manifest");
    let parse = started.elapsed();

    let started = Instant::now();
    let entries = parsed.manifest.exercises.clone();
    let set = ExerciseSet::assemble(&root, parsed, metadata, Path::to_path_buf);
    for i in (0..size).step_by(7) {
        assert!(set.find(&name(i)).is_some());
    }
    let assemble = started.elapsed();

    // What `list` does: reconcile progress with the set, then a row per exercise.
    let started = Instant::now();
    let mut progress = Progress {
        current: Some(name(size / 2)),
        done: (0..size).step_by(2).map(name).collect(),
    };
    let notes = progress.reconcile(set.names());
    assert!(notes.is_empty());
    let mut listing = String::new();
    for e in &set.exercises {
        let _ = writeln!(
            listing,
            "{} {} {} {}",
            e.name(),
            e.chapter(),
            progress.is_done(e.name()),
            e.rel_path()
        );
    }
    let list = started.elapsed();

    // What `check` does with the manifest: the bins it calls for against the declared.
    let started = Instant::now();
    let wanted = sync::expected_bins(&entries, "", |_| false);
    let declared = sync::declared_bins(&cargo_toml).expect("valid Cargo.toml");
    assert!(wanted == declared);
    let names: BTreeSet<&str> = wanted.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names.len(), size);
    let check = started.elapsed();

    let total = parse + assemble + list + check;
    let peak_kib = peak_rss_kib();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{size:>9} {:>9.1} {:>10.1} {:>9.1} {:>9.1} {:>10.1} {:>12.2} {:>10.1} {:>12.2}",
        ms(parse),
        ms(assemble),
        ms(list),
        ms(check),
        ms(total),
        total.as_secs_f64() * 1e6 / size as f64,
        peak_kib as f64 / 1024.0,
        peak_kib as f64 / size as f64
    );
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
