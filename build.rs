//! Packs the bundled course (manifest, exercises, solutions, Cargo files) into one blob in
//! OUT_DIR for `backlings init`. The blob is rebuilt only when the course's manifest or
//! Cargo files change, not when a learner edits an exercise in a checkout of this repo:
//! `include_bytes!` on the exercise files themselves would rebuild the runner on every
//! save and would embed the learner's edits as "originals".

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const TOP_FILES: &[&str] = &["info.toml", "Cargo.toml", "course/Cargo.toml", "Cargo.lock"];
const TOP_DIRS: &[&str] = &["exercises", "solutions", "mutants"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    for file in TOP_FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for file in TOP_FILES {
        if let Ok(content) = fs::read(root.join(file)) {
            files.push((file.to_string(), content));
        }
    }
    for dir in TOP_DIRS {
        collect(&root, &root.join(dir), &mut files);
    }
    files.sort();

    let mut blob = Vec::new();
    for (path, content) in &files {
        blob.extend_from_slice(&(path.len() as u32).to_le_bytes());
        blob.extend_from_slice(path.as_bytes());
        blob.extend_from_slice(&(content.len() as u32).to_le_bytes());
        blob.extend_from_slice(content);
    }
    let mut file = fs::File::create(out.join("course.bin")).expect("writable OUT_DIR");
    file.write_all(&blob).expect("writable OUT_DIR");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        let keep = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs") | Some("md")
        );
        if keep && let (Ok(rel), Ok(content)) = (path.strip_prefix(root), fs::read(&path)) {
            files.push((rel.to_string_lossy().replace('\\', "/"), content));
        }
    }
}
