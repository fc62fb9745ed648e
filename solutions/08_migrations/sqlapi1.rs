// sqlapi1 (capstone of chapters 05-08): a JSON API whose data layer keeps its data.
//
// The notes API's handlers are fine; `NoteRepo`, the data layer, has two bugs. 1. It
// opens a new connection per call, and each connection to `:memory:` is a new, empty
// database: a note is gone as soon as it is created. Open one connection in
// `NoteRepo::open` and share it as `Arc<Mutex<Connection>>` (`connection()` can then hand
// out the guard). 2. `get` turns "no such note" into an error: a 500 instead of a 404.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS notes (
        id    INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        body  TEXT NOT NULL
    );
";

#[derive(Debug, Serialize)]
struct Note {
    id: i64,
    title: String,
    body: String,
}

#[derive(Deserialize)]
struct NewNote {
    title: String,
    body: String,
}

fn note_from_row(row: &Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: row.get("id")?,
        title: row.get("title")?,
        body: row.get("body")?,
    })
}

/// The data layer: every handler reads and writes notes through it.
#[derive(Clone)]
struct NoteRepo {
    conn: Arc<Mutex<Connection>>,
}

impl NoteRepo {
    fn open(path: &str) -> rusqlite::Result<NoteRepo> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(NoteRepo {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn connection(&self) -> rusqlite::Result<MutexGuard<'_, Connection>> {
        // A request that panicked while holding the lock leaves the connection usable.
        Ok(self.conn.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn list(&self) -> rusqlite::Result<Vec<Note>> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare("SELECT id, title, body FROM notes ORDER BY id")?;
        stmt.query_map([], note_from_row)?.collect()
    }

    fn create(&self, new: &NewNote) -> rusqlite::Result<Note> {
        let conn = self.connection()?;
        conn.execute(
            "INSERT INTO notes (title, body) VALUES (?1, ?2)",
            (&new.title, &new.body),
        )?;
        Ok(Note {
            id: conn.last_insert_rowid(),
            title: new.title.clone(),
            body: new.body.clone(),
        })
    }

    fn get(&self, id: i64) -> rusqlite::Result<Option<Note>> {
        let conn = self.connection()?;
        conn.query_row(
            "SELECT id, title, body FROM notes WHERE id = ?1",
            [id],
            note_from_row,
        )
        .optional()
    }
}

enum ApiError {
    NotFound,
    Database(rusqlite::Error),
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::Database(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "note not found"),
            ApiError::Database(err) => {
                eprintln!("database error: {err}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

async fn list_notes(State(repo): State<NoteRepo>) -> Result<Json<Vec<Note>>, ApiError> {
    Ok(Json(repo.list()?))
}

async fn create_note(
    State(repo): State<NoteRepo>,
    Json(new): Json<NewNote>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    Ok((StatusCode::CREATED, Json(repo.create(&new)?)))
}

async fn get_note(
    State(repo): State<NoteRepo>,
    Path(id): Path<i64>,
) -> Result<Json<Note>, ApiError> {
    repo.get(id)?.map(Json).ok_or(ApiError::NotFound)
}

fn app(db_path: &str) -> rusqlite::Result<Router> {
    let repo = NoteRepo::open(db_path)?;
    Ok(Router::new()
        .route("/notes", get(list_notes).post(create_note))
        .route("/notes/{id}", get(get_note))
        .with_state(repo))
}

fn main() -> rusqlite::Result<()> {
    let _app = app(":memory:")?;
    println!("router built: GET /notes, POST /notes, GET /notes/{{id}}");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
        send(app, Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn create(app: &Router, title: &str, body: &str) -> (StatusCode, Value) {
        let json = json!({ "title": title, "body": body }).to_string();
        let request = Request::post("/notes")
            .header("content-type", "application/json")
            .body(Body::from(json))
            .unwrap();
        send(app, request).await
    }

    #[tokio::test]
    async fn create_answers_201_with_the_note() {
        let app = app(":memory:").unwrap();
        let (status, note) = create(&app, "groceries", "oat milk, coffee").await;
        assert_eq!(status, StatusCode::CREATED, "POST /notes creates: {note}");
        assert!(note["id"].is_i64(), "no id in {note}");
        assert_eq!(note["title"], "groceries", "the title as sent: {note}");
        assert_eq!(note["body"], "oat milk, coffee", "the body as sent: {note}");
    }

    #[tokio::test]
    async fn created_note_can_be_fetched() {
        let app = app(":memory:").unwrap();
        let (_, created) = create(&app, "groceries", "oat milk, coffee").await;
        let uri = format!("/notes/{}", created["id"]);
        let (status, fetched) = get(&app, &uri).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET {uri} right after creating it: {fetched}"
        );
        assert_eq!(fetched, created, "GET returns the note as it was created");
    }

    #[tokio::test]
    async fn list_returns_every_note_in_order() {
        let app = app(":memory:").unwrap();
        assert_eq!(
            get(&app, "/notes").await,
            (StatusCode::OK, json!([])),
            "a new database has no notes"
        );
        create(&app, "first", "a").await;
        create(&app, "second", "b").await;
        let (status, notes) = get(&app, "/notes").await;
        assert_eq!(status, StatusCode::OK, "GET /notes: {notes}");
        let titles: Vec<&str> = notes
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|n| n["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            ["first", "second"],
            "GET /notes must list the notes just created"
        );
    }

    #[tokio::test]
    async fn missing_note_is_404() {
        let app = app(":memory:").unwrap();
        create(&app, "only", "one").await;
        let (status, body) = get(&app, "/notes/999").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "GET /notes/999: a note that doesn't exist is a 404, not an error; body: {body}"
        );
        assert_eq!(
            body,
            json!({ "error": "note not found" }),
            "the 404 body names the problem"
        );
    }

    #[tokio::test]
    async fn separate_apps_have_separate_databases() {
        let first = app(":memory:").unwrap();
        let second = app(":memory:").unwrap();
        create(&first, "mine", "x").await;
        assert_eq!(
            get(&second, "/notes").await,
            (StatusCode::OK, json!([])),
            "a note created in one app showed up in another: each app needs its own \
             connection, not one shared by the whole process"
        );
    }

    #[tokio::test]
    async fn a_database_failure_is_a_500_not_a_404() {
        let path = std::env::temp_dir().join(format!(
            "backlings-sqlapi1-broken-{}.db",
            std::process::id()
        ));
        let remove = || {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        };
        remove();
        let app = app(path.to_str().unwrap()).unwrap();
        create(&app, "only", "one").await;
        // A botched deploy renames the table behind the app's back.
        Connection::open(&path)
            .and_then(|c| c.execute_batch("ALTER TABLE notes RENAME TO notes_old;"))
            .unwrap();
        let (status, body) = get(&app, "/notes/1").await;
        remove();
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the query failed (no such table), which is not \"no such note\": only \
             QueryReturnedNoRows means missing, every other error is a 500; body: {body}"
        );
    }
}
