// wrong fix: refuses paths containing .. and nothing else: an absolute path (/files//etc/passwd) needs no .. at all, since Path::join replaces the directory with it
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
    if path.contains("..") {
        return Err(StatusCode::BAD_REQUEST);
    }
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

