// mutant: deletes every note of the owner instead of the one asked for
// testing2: write the tests for a SQL repository.
//
// `NotesRepo` stores users' notes in SQLite and is correct; the tests are missing. Write
// tests that pin down every promise in the doc comments below. They are run against this
// code (they must pass) and against "mutants", copies of it with one bug planted each
// (every mutant must make at least one of your tests fail). Use a real database: open
// the repository in memory, one per test. Don't edit above the marker line: the mutants
// replace everything above it.

use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
    CREATE TABLE notes (
        id    INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        body  TEXT NOT NULL
    );
";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Note {
    id: i64,
    owner: String,
    title: String,
    body: String,
}

#[derive(Debug, PartialEq, Eq)]
enum NoteError {
    /// The title is empty or only whitespace.
    BlankTitle,
    Db(String),
}

impl From<rusqlite::Error> for NoteError {
    fn from(err: rusqlite::Error) -> NoteError {
        NoteError::Db(err.to_string())
    }
}

struct NotesRepo {
    conn: Connection,
}

impl NotesRepo {
    /// A repository over a fresh in-memory database.
    fn open_in_memory() -> Result<NotesRepo, NoteError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        Ok(NotesRepo { conn })
    }

    /// Stores a new note and returns its id. A title that is empty or only whitespace is
    /// refused with `BlankTitle` (and nothing is stored); title and body are stored as given.
    fn create(&self, owner: &str, title: &str, body: &str) -> Result<i64, NoteError> {
        if title.trim().is_empty() {
            return Err(NoteError::BlankTitle);
        }
        self.conn.execute(
            "INSERT INTO notes (owner, title, body) VALUES (?1, ?2, ?3)",
            params![owner, title, body],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The note with this id, whoever owns it, or `None`.
    fn get(&self, id: i64) -> Result<Option<Note>, NoteError> {
        let note = self
            .conn
            .query_row(
                "SELECT id, owner, title, body FROM notes WHERE id = ?1",
                [id],
                note_from_row,
            )
            .optional()?;
        Ok(note)
    }

    /// Every note of `owner` and only theirs, newest first (notes created later come
    /// first).
    fn list_by_owner(&self, owner: &str) -> Result<Vec<Note>, NoteError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, owner, title, body FROM notes WHERE owner = ?1 ORDER BY id DESC",
        )?;
        let notes = stmt
            .query_map([owner], note_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(notes)
    }

    /// Deletes note `id` if `owner` owns it. Returns whether a note was deleted: `false`
    /// when there is no such note or it belongs to someone else (which stays untouched).
    fn delete(&self, owner: &str, id: i64) -> Result<bool, NoteError> {
        let deleted = self.conn.execute(
            "DELETE FROM notes WHERE owner = ?2",
            params![id, owner],
        )?;
        Ok(deleted > 0)
    }
}

fn note_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: row.get(0)?,
        owner: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
    })
}

fn main() -> Result<(), NoteError> {
    let repo = NotesRepo::open_in_memory()?;
    let id = repo.create("ada", "Engine", "Notes on the Analytical Engine")?;
    println!("created note {id}: {:?}", repo.get(id)?);
    println!("ada's notes: {:?}", repo.list_by_owner("ada")?);
    println!("deleted by grace: {}", repo.delete("grace", id)?);
    println!("deleted by ada: {}", repo.delete("ada", id)?);
    Ok(())
}

