// wrong fix: a LEFT JOIN with GROUP BY finds the authors and counts their books, then the books are still loaded with one query per author who has any: still 1 + N round trips
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
    let mut authors = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT a.id, a.name, count(b.id) FROM authors AS a
         LEFT JOIN books AS b ON b.author_id = a.id
         GROUP BY a.id ORDER BY a.id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            Author {
                id: row.get(0)?,
                name: row.get(1)?,
                books: Vec::new(),
            },
            row.get::<_, i64>(2)?,
        ))
    })?;
    let mut counts = Vec::new();
    for row in rows {
        let (author, count) = row?;
        authors.push(author);
        counts.push(count);
    }
    let mut books = conn.prepare("SELECT id, title FROM books WHERE author_id = ?1 ORDER BY id")?;
    for (author, count) in authors.iter_mut().zip(counts) {
        if count == 0 {
            continue;
        }
        let rows = books.query_map([author.id], |row| {
            Ok(Book {
                id: row.get(0)?,
                title: row.get(1)?,
            })
        })?;
        for book in rows {
            author.books.push(book?);
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

