// browser5: path traversal: a download must stay inside its directory.
//
// `GET /files/{*path}` serves files from one directory. axum has already percent-decoded
// the path; the handler joins it onto the directory as it is. So `../secret.txt` climbs
// out (sent as `..%2fsecret.txt` or `%2e%2e%2f...` too), and an absolute path replaces
// the directory altogether: `Path::join` with `/etc/passwd` gives `/etc/passwd`. Check the
// decoded path before touching the disk: accept only plain names (`std::path::Component::
// Normal`), so no `..`, no root, no backslash or NUL; refuse the rest with 400 or 404.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

async fn download(
    State(root): State<Arc<PathBuf>>,
    Path(path): Path<String>,
) -> Result<Vec<u8>, StatusCode> {
    // TODO: the path is used as sent.
    let file = root.join(&path);
    std::fs::read(&file).map_err(|_| StatusCode::NOT_FOUND)
}

/// Serves the files under `root` at /files/...
fn app(root: PathBuf) -> Router {
    Router::new()
        .route("/files/{*path}", get(download))
        .with_state(Arc::new(root))
}

fn main() {
    let _ = app(PathBuf::from("./public"));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    const SECRET: &str = "TOP SECRET: database password hunter2";
    const BACKUP: &str = "BACKUP: private signing key";

    /// A fresh directory tree, removed when dropped:
    /// root/public/{report.txt, annual report.txt, docs/guide.txt}   (served)
    /// root/secret.txt, root/public_backup/keys.txt                   (never served)
    struct Tree {
        root: PathBuf,
    }

    impl Tree {
        fn new() -> Tree {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let root = std::env::temp_dir().join(format!(
                "backlings-browser5-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("public/docs")).expect("create the test tree");
            std::fs::create_dir_all(root.join("public_backup")).expect("create the test tree");
            for (file, text) in [
                ("public/report.txt", "quarterly report"),
                ("public/annual report.txt", "annual report"),
                ("public/docs/guide.txt", "user guide"),
                ("secret.txt", SECRET),
                ("public_backup/keys.txt", BACKUP),
            ] {
                std::fs::write(root.join(file), text).expect("write the test tree");
            }
            Tree { root }
        }

        fn public(&self) -> PathBuf {
            self.root.join("public")
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    async fn fetch(tree: &Tree, uri: &str) -> (StatusCode, String) {
        let req = Request::get(uri)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("the test's URI {uri} is invalid: {e}"));
        let resp = app(tree.public())
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a small body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn public_files_are_served() {
        let tree = Tree::new();
        for (uri, text) in [
            ("/files/report.txt", "quarterly report"),
            ("/files/docs/guide.txt", "user guide"),
            ("/files/docs%2Fguide.txt", "user guide"),
            ("/files/annual%20report.txt", "annual report"),
        ] {
            let (status, body) = fetch(&tree, uri).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::OK, text),
                "GET {uri} must serve that public file"
            );
        }
        let (status, _) = fetch(&tree, "/files/missing.txt").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "a missing file must be a 404"
        );
    }

    #[tokio::test]
    async fn traversal_never_leaves_the_directory() {
        let tree = Tree::new();
        let secret = tree.root.join("secret.txt");
        let secret = secret.to_str().expect("a UTF-8 temp path");
        let encoded_secret = secret.replace('/', "%2F").replace(' ', "%20");
        // The attack, in the spellings that get past naive checks.
        let attacks = [
            ("/files/../secret.txt".to_string(), "a plain ../"),
            (
                "/files/docs/../../secret.txt".to_string(),
                "../ after a real folder",
            ),
            ("/files/..%2fsecret.txt".to_string(), "an encoded slash"),
            (
                "/files/%2e%2e%2fsecret.txt".to_string(),
                "encoded dots and slash",
            ),
            (
                "/files/%2E%2E/secret.txt".to_string(),
                "encoded dots, upper case",
            ),
            (
                "/files/%252e%252e%252fsecret.txt".to_string(),
                "double encoding",
            ),
            (
                "/files/....//secret.txt".to_string(),
                "....// (one pass of removing ../ leaves ../)",
            ),
            (
                "/files/..././secret.txt".to_string(),
                ".../. (removing ../ leaves ../)",
            ),
            (
                "/files/..%5csecret.txt".to_string(),
                "a backslash (a separator on Windows)",
            ),
            ("/files/..%00/secret.txt".to_string(), "a NUL byte"),
            (format!("/files/{secret}"), "an absolute path"),
            (
                format!("/files/{encoded_secret}"),
                "an encoded absolute path",
            ),
            (
                "/files/../public_backup/keys.txt".to_string(),
                "a sibling folder named like the public one",
            ),
            (
                "/files/docs/../../public_backup/keys.txt".to_string(),
                "the sibling folder again",
            ),
        ];
        for (uri, how) in &attacks {
            let (status, body) = fetch(&tree, uri).await;
            assert!(
                !body.contains(SECRET) && !body.contains(BACKUP),
                "GET {uri} ({how}) served a file from outside the public directory: check the \
                 decoded path's components before joining it, and accept only plain names"
            );
            assert!(
                status == StatusCode::BAD_REQUEST
                    || status == StatusCode::FORBIDDEN
                    || status == StatusCode::NOT_FOUND,
                "GET {uri} ({how}) answered {status}: refuse it with 400 (or 403/404)"
            );
        }
    }
}
