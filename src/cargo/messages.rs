//! cargo's `--message-format=json` lines, reduced to what the runner uses.

use std::path::PathBuf;

use serde::Deserialize;

/// A cargo JSON message, reduced to what the runner uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Artifact {
        package_id: String,
        target: String,
        test: bool,
        executable: Option<PathBuf>,
    },
    Diagnostic {
        target: String,
        level: String,
        rendered: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum RawMessage {
    CompilerArtifact {
        package_id: String,
        target: RawMessageTarget,
        profile: RawProfile,
        executable: Option<PathBuf>,
    },
    CompilerMessage {
        target: RawMessageTarget,
        message: RawDiagnostic,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct RawMessageTarget {
    name: String,
}

#[derive(Deserialize)]
struct RawProfile {
    test: bool,
}

#[derive(Deserialize)]
struct RawDiagnostic {
    level: String,
    rendered: Option<String>,
}

/// Parses cargo's `--message-format=json` lines; lines that are not JSON are skipped.
pub fn parse_messages(lines: &[String]) -> Vec<Message> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<RawMessage>(line).ok())
        .filter_map(|raw| match raw {
            RawMessage::CompilerArtifact {
                package_id,
                target,
                profile,
                executable,
            } => Some(Message::Artifact {
                package_id,
                target: target.name,
                test: profile.test,
                executable,
            }),
            RawMessage::CompilerMessage { target, message } => Some(Message::Diagnostic {
                target: target.name,
                level: message.level,
                rendered: message.rendered.unwrap_or_default(),
            }),
            RawMessage::Other => None,
        })
        .collect()
}
