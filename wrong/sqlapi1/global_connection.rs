// wrong fix: keeps the one connection in a process-wide static instead of in the app's state; every app (and every test) then shares one database, and the path of the second app is silently ignored
// sqlapi1 (capstone of chapters 05-08): a JSON API whose data layer keeps its data.
//
// The notes API's handlers are fine; `NoteRepo`, the data layer, has two bugs. 1. It
// opens a new connection per call, and each connection to `:memory:` is a new, empty
// database: a note is gone as soon as it is created. Open one connection in
// `NoteRepo::open` and share it as `Arc<Mutex<Connection>>` (`connection()` can then hand
// out the guard). 2. `get` turns "no such note" into an error: a 500 instead of a 404.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

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
    conn: &'static Mutex<Connection>,
}

/// One connection for the whole process, opened on first use.
static CONNECTION: OnceLock<Mutex<Connection>> = OnceLock::new();

impl NoteRepo {
    fn open(path: &str) -> rusqlite::Result<NoteRepo> {
        let conn = CONNECTION.get_or_init(|| {
            let conn = Connection::open(path).expect("opening the database");
            conn.execute_batch(SCHEMA).expect("creating the schema");
            Mutex::new(conn)
        });
        Ok(NoteRepo { conn })
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

