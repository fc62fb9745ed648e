// perf1: the N+1 query problem.
//
// `GET /authors` lists every author with their books. `authors_with_books` runs one query
// for the authors, then one more per author for their books: 1 + N statements, so 100
// authors cost 101 round trips to the database (each one a network hop on a real server).
// Load the same data in a fixed number of statements, whatever the number of authors: at
// most 2. Authors without books are still listed, with an empty list, in the same order.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::Connection;
use serde::Serialize;

const SCHEMA: &str = "
    CREATE TABLE authors (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
    CREATE TABLE books (
        id        INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL REFERENCES authors (id),
        title     TEXT NOT NULL
    );
    CREATE INDEX books_by_author ON books (author_id);
";

#[derive(Serialize)]
struct Book {
    id: i64,
    title: String,
}

#[derive(Serialize)]
struct Author {
    id: i64,
    name: String,
    books: Vec<Book>,
}

type Db = Arc<Mutex<Connection>>;

fn app(db: Db) -> Router {
    Router::new()
        .route("/authors", get(list_authors))
        .with_state(db)
}

async fn list_authors(State(db): State<Db>) -> Result<Json<Vec<Author>>, StatusCode> {
    let conn = db.lock().unwrap();
    authors_with_books(&conn)
        .map(Json)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

/// Every author, by id, each with their books, by id.
fn authors_with_books(conn: &Connection) -> rusqlite::Result<Vec<Author>> {
    // One statement: a LEFT JOIN keeps the authors without books (their book columns are
    // NULL), and the ORDER BY brings each author's rows together.
    let mut stmt = conn.prepare(
        "SELECT a.id, a.name, b.id, b.title
         FROM authors AS a LEFT JOIN books AS b ON b.author_id = a.id
         ORDER BY a.id, b.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut authors: Vec<Author> = Vec::new();
    while let Some(row) = rows.next()? {
        let author_id: i64 = row.get(0)?;
        if authors.last().map(|author| author.id) != Some(author_id) {
            authors.push(Author {
                id: author_id,
                name: row.get(1)?,
                books: Vec::new(),
            });
        }
        if let Some(book_id) = row.get::<_, Option<i64>>(2)? {
            let author = authors.last_mut().expect("pushed above");
            author.books.push(Book {
                id: book_id,
                title: row.get(3)?,
            });
        }
    }
    Ok(authors)
}

fn main() -> rusqlite::Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(
        "INSERT INTO authors (id, name) VALUES (1, 'Ursula K. Le Guin'), (2, 'Ted Chiang');
         INSERT INTO books (author_id, title) VALUES (1, 'The Dispossessed'), (1, 'Lathe of Heaven');",
    )?;
    for author in authors_with_books(&conn)? {
        println!("{}: {} books", author.name, author.books.len());
    }
    let _ = app(Arc::new(Mutex::new(conn)));
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use rusqlite::ffi;
    use serde_json::{Value, json};
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use tower::ServiceExt;

    /// From now on, records the text of every statement `conn` starts running, as SQLite
    /// received it. (rusqlite's safe `trace_v2` needs its `trace` feature, which this course
    /// leaves off; this installs the same SQLite hook, `sqlite3_trace_v2`, through the C API.)
    fn record_statements(conn: &Connection) -> Arc<Mutex<Vec<String>>> {
        unsafe extern "C" fn hook(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string; `ctx` is
                // the leaked `Arc` below, so it stays valid as long as the connection.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) };
                let log = unsafe { &*ctx.cast::<Mutex<Vec<String>>>() };
                log.lock().unwrap().push(sql.to_string_lossy().into_owned());
            }
            0
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        // Leaked on purpose (one per test): the hook may run until the connection closes.
        let ctx = Arc::into_raw(Arc::clone(&log)).cast_mut().cast::<c_void>();
        // SAFETY: the handle is valid while `conn` lives, and `ctx` is never freed.
        unsafe {
            ffi::sqlite3_trace_v2(
                conn.handle(),
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook),
                ctx,
            )
        };
        log
    }

    /// A database with `authors` authors. Author `i` has `i % 4` books (so every fourth one
    /// has none), inserted round-robin so that no author's books have consecutive ids.
    /// Some titles hold commas, quotes and a `|`, as real titles do.
    fn seeded_db(authors: i64) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA)
            .expect("SCHEMA must still create the tables");
        for id in 1..=authors {
            conn.execute(
                "INSERT INTO authors (id, name) VALUES (?1, ?2)",
                (id, format!("Author {id:03}")),
            )
            .unwrap();
        }
        let titles = [
            "Eats, Shoots & Leaves",
            "The \"Best\" | Worst",
            "O'Brien's Notes",
        ];
        for round in 0..3 {
            for id in 1..=authors {
                if round < id % 4 {
                    let title = format!("{} (vol. {})", titles[(id as usize) % 3], round + 1);
                    conn.execute(
                        "INSERT INTO books (author_id, title) VALUES (?1, ?2)",
                        (id, title),
                    )
                    .unwrap();
                }
            }
        }
        conn
    }

    /// What `GET /authors` must answer, read with simple independent queries.
    fn expected(conn: &Connection) -> Value {
        let mut authors = conn
            .prepare("SELECT id, name FROM authors ORDER BY id")
            .unwrap();
        let mut books = conn
            .prepare("SELECT id, title FROM books WHERE author_id = ?1 ORDER BY id")
            .unwrap();
        let list: Vec<(i64, String)> = authors
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let list: Vec<Value> = list
            .into_iter()
            .map(|(id, name)| {
                let books: Vec<Value> = books
                    .query_map([id], |row| {
                        Ok(json!({ "id": row.get::<_, i64>(0)?, "title": row.get::<_, String>(1)? }))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                json!({ "id": id, "name": name, "books": books })
            })
            .collect();
        Value::Array(list)
    }

    async fn get_authors(db: &Db) -> Value {
        let response = app(Arc::clone(db))
            .oneshot(Request::get("/authors").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "GET /authors must answer 200 (a 500 means a query failed)"
        );
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&body).expect("GET /authors must answer a JSON array")
    }

    /// Runs `GET /authors` on a fresh database of `authors` authors: its JSON and the SQL
    /// statements it ran.
    async fn run(authors: i64) -> (Value, Value, Vec<String>) {
        let conn = seeded_db(authors);
        let want = expected(&conn);
        let log = record_statements(&conn);
        let db = Arc::new(Mutex::new(conn));
        let got = get_authors(&db).await;
        let statements = log.lock().unwrap().clone();
        (got, want, statements)
    }

    fn assert_same_authors(got: &Value, want: &Value) {
        let (Some(got_list), Some(want_list)) = (got.as_array(), want.as_array()) else {
            panic!("GET /authors must answer a JSON array, got {got}");
        };
        assert_eq!(
            got_list.len(),
            want_list.len(),
            "GET /authors must list every author, also those without books (a plain JOIN \
             drops them; a LEFT JOIN keeps them)"
        );
        for (got, want) in got_list.iter().zip(want_list) {
            assert_eq!(
                got, want,
                "each author must come with exactly their books, in id order, titles intact"
            );
        }
    }

    #[tokio::test]
    async fn lists_every_author_with_their_books() {
        let (got, want, _) = run(8).await;
        assert_same_authors(&got, &want);
    }

    #[tokio::test]
    async fn authors_without_books_are_listed_with_an_empty_list() {
        let (got, _, _) = run(8).await;
        let author_4 = got
            .as_array()
            .and_then(|list| list.iter().find(|author| author["id"] == 4))
            .unwrap_or_else(|| panic!("author 4 has no books and must still be listed, got {got}"));
        assert_eq!(
            author_4["books"],
            json!([]),
            "an author without books must be listed with \"books\": []"
        );
    }

    #[tokio::test]
    async fn a_hundred_authors_take_at_most_two_statements() {
        let (got, want, statements) = run(100).await;
        assert!(
            !statements.is_empty(),
            "GET /authors ran no statement on the database it was given"
        );
        assert!(
            statements.len() <= 2,
            "GET /authors ran {} SQL statements for 100 authors: one more query per author is \
             the N+1 problem, each one a round trip to the database. Load the books of every \
             author at once (a LEFT JOIN, or one query for all the books): at most 2. \
             The first statements were: {:?}",
            statements.len(),
            &statements[..statements.len().min(3)]
        );
        assert_same_authors(&got, &want);
    }

    #[tokio::test]
    async fn every_request_reads_the_current_data() {
        let conn = seeded_db(20);
        let log = record_statements(&conn);
        let db = Arc::new(Mutex::new(conn));
        get_authors(&db).await;
        db.lock()
            .unwrap()
            .execute(
                "INSERT INTO books (author_id, title) VALUES (4, 'A Late Addition')",
                [],
            )
            .unwrap();
        log.lock().unwrap().clear();
        let got = get_authors(&db).await;
        let statements = log.lock().unwrap().len();
        assert!(
            statements > 0,
            "the second GET /authors ran no SQL statement: every request must read the \
             database, not a copy kept from an earlier request (it misses the new book)"
        );
        assert!(
            statements <= 2,
            "the second GET /authors ran {statements} SQL statements for 20 authors: one more \
             query per author is the N+1 problem; load every author's books at once"
        );
        let want = expected(&db.lock().unwrap());
        assert_same_authors(&got, &want);
    }
}
