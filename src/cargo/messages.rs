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
        /// The file the diagnostic is about (see [`RawDiagnostic::file`]).
        file: Option<String>,
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
    #[serde(default)]
    spans: Vec<RawSpan>,
}

#[derive(Deserialize)]
struct RawSpan {
    file_name: String,
    is_primary: bool,
    expansion: Option<Box<RawExpansion>>,
}

#[derive(Deserialize)]
struct RawExpansion {
    span: RawSpan,
}

impl RawDiagnostic {
    /// The file of the primary span, followed out of macro expansions to the call site
    /// the user wrote: a wrong fix built as a module of a merged crate is given the
    /// diagnostics about its own file, those of a derive on its types included.
    fn file(&self) -> Option<String> {
        let mut span = self.spans.iter().find(|s| s.is_primary)?;
        while let Some(expansion) = &span.expansion {
            span = &expansion.span;
        }
        Some(span.file_name.clone())
    }
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
                file: message.file(),
                level: message.level,
                rendered: message.rendered.unwrap_or_default(),
            }),
            RawMessage::Other => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_is_placed_at_the_call_site_of_its_macro() {
        let line = r#"{"reason":"compiler-message","target":{"name":"h"},"message":{"level":"warning","rendered":"w","spans":[{"file_name":"other.rs","is_primary":false,"expansion":null},{"file_name":"<derive>","is_primary":true,"expansion":{"span":{"file_name":"exercises/a__v.rs","is_primary":false,"expansion":null}}}]}}"#;
        let messages = parse_messages(&[line.to_string()]);
        assert!(matches!(
            &messages[..],
            [Message::Diagnostic { file: Some(file), .. }] if file == "exercises/a__v.rs"
        ));
        let bare = r#"{"reason":"compiler-message","target":{"name":"h"},"message":{"level":"warning","rendered":"w"}}"#;
        assert!(matches!(
            &parse_messages(&[bare.to_string()])[..],
            [Message::Diagnostic { file: None, .. }]
        ));
    }
}
