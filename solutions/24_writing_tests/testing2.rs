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
            "DELETE FROM notes WHERE id = ?1 AND owner = ?2",
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

// Your tests: write them below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> NotesRepo {
        NotesRepo::open_in_memory().expect("an in-memory database always opens")
    }

    fn create(repo: &NotesRepo, owner: &str, title: &str, body: &str) -> i64 {
        repo.create(owner, title, body)
            .unwrap_or_else(|err| panic!("creating {owner}'s note {title:?} failed: {err:?}"))
    }

    /// The ids of `owner`'s notes, in the order `list_by_owner` returns them.
    fn listed_ids(repo: &NotesRepo, owner: &str) -> Vec<i64> {
        let notes = repo.list_by_owner(owner).expect("listing notes failed");
        notes.iter().map(|note| note.id).collect()
    }

    #[test]
    fn a_created_note_reads_back_as_stored() {
        let repo = repo();
        let id = create(&repo, "ada", "Engine", "Notes on the Analytical Engine");
        let note = repo.get(id).expect("reading a note failed");
        let note = note.expect("a note just created must be found by its id");
        assert_eq!(
            (note.id, note.owner.as_str()),
            (id, "ada"),
            "get({id}) must return note {id} of its owner"
        );
        assert_eq!(
            (note.title.as_str(), note.body.as_str()),
            ("Engine", "Notes on the Analytical Engine"),
            "get({id}) must read back the title and body that were stored, each in its place"
        );
        assert_eq!(
            repo.get(id + 1).expect("reading a note failed"),
            None,
            "get of an id that was never created must be None"
        );
    }

    #[test]
    fn a_blank_title_is_refused_and_nothing_is_stored() {
        let repo = repo();
        for title in ["", " ", "\t\n  "] {
            assert_eq!(
                repo.create("ada", title, "body"),
                Err(NoteError::BlankTitle),
                "the title {title:?} is blank and must be refused with BlankTitle"
            );
        }
        assert_eq!(
            listed_ids(&repo, "ada"),
            Vec::<i64>::new(),
            "a refused note must not be stored"
        );
        let id = create(&repo, "ada", " Engine ", "body");
        assert_eq!(
            repo.get(id).unwrap().map(|note| note.title),
            Some(" Engine ".to_string()),
            "a title with text in it is accepted and stored as given"
        );
    }

    #[test]
    fn an_owner_lists_their_notes_and_nobody_elses() {
        let repo = repo();
        let ada_first = create(&repo, "ada", "Engine", "gears");
        let grace = create(&repo, "grace", "Compiler", "A-0");
        let ada_second = create(&repo, "ada", "Bernoulli", "numbers");
        let listed = repo.list_by_owner("ada").expect("listing notes failed");
        let mut ids: Vec<i64> = listed.iter().map(|note| note.id).collect();
        ids.sort();
        assert_eq!(
            ids,
            vec![ada_first, ada_second],
            "ada's list must hold her notes {ada_first} and {ada_second}, and not grace's {grace}"
        );
        assert!(
            listed.iter().all(|note| note.owner == "ada"),
            "ada's list holds someone else's note: {listed:?}"
        );
        assert_eq!(
            listed_ids(&repo, "nobody"),
            Vec::<i64>::new(),
            "an owner without notes must get an empty list"
        );
    }

    #[test]
    fn notes_are_listed_newest_first() {
        let repo = repo();
        let first = create(&repo, "ada", "first", "1");
        let second = create(&repo, "ada", "second", "2");
        let third = create(&repo, "ada", "third", "3");
        assert_eq!(
            listed_ids(&repo, "ada"),
            vec![third, second, first],
            "the newest note must come first (created in the order {first}, {second}, {third})"
        );
    }

    #[test]
    fn delete_removes_that_note_only() {
        let repo = repo();
        let keep = create(&repo, "ada", "keep", "stays");
        let gone = create(&repo, "ada", "gone", "goes");
        assert_eq!(
            repo.delete("ada", gone),
            Ok(true),
            "ada deleting her own note {gone} must report true"
        );
        assert_eq!(
            repo.get(gone).unwrap(),
            None,
            "note {gone} was reported deleted but is still there"
        );
        assert!(
            repo.get(keep).unwrap().is_some(),
            "deleting note {gone} also deleted ada's other note {keep}"
        );
        assert_eq!(
            repo.delete("ada", gone),
            Ok(false),
            "deleting a note that no longer exists must report false"
        );
    }

    #[test]
    fn nobody_deletes_someone_elses_note() {
        let repo = repo();
        let id = create(&repo, "ada", "Engine", "mine");
        assert_eq!(
            repo.delete("mallory", id),
            Ok(false),
            "mallory deleting ada's note {id} must report false"
        );
        assert!(
            repo.get(id).unwrap().is_some(),
            "mallory deleted ada's note {id}: delete must check the owner"
        );
    }
}
