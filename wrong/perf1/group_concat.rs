// wrong fix: one statement with group_concat of id:title joined by ', ' and split again in Rust: a title containing ', ' is cut in two, and group_concat does not promise an order
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
        "SELECT a.id, a.name, group_concat(b.id || ':' || b.title, ', ')
         FROM authors AS a LEFT JOIN books AS b ON b.author_id = a.id
         GROUP BY a.id ORDER BY a.id",
    )?;
    let rows = stmt.query_map([], |row| {
        let packed: Option<String> = row.get(2)?;
        let books = packed
            .map(|packed| {
                packed
                    .split(", ")
                    .filter_map(|item| {
                        let (id, title) = item.split_once(':')?;
                        Some(Book {
                            id: id.parse().ok()?,
                            title: title.to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Author {
            id: row.get(0)?,
            name: row.get(1)?,
            books,
        })
    })?;
    for author in rows {
        authors.push(author?);
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

