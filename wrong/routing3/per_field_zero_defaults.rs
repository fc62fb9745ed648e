// wrong fix: `#[serde(default)]` on each field: a missing field becomes the type's default, 0, not the values of `Pagination::default()` (page size 0 gives one item)
// routing3: optional query parameters need defaults.
//
// `Query<T>` deserializes the query string into `T` with serde. A field serde cannot fill
// is an error, and axum answers `400 Bad Request`. Here `GET /products` pages through a
// catalogue with `?page=` and `?per_page=`, both optional for the client: the code even
// has a `Default` for them. But serde does not use a `Default` impl unless told to, so a
// plain `GET /products` (what every client sends first) fails.
// Tell serde to fill the missing fields from `Pagination::default()`.

use axum::{Json, Router, extract::Query, routing::get};
use serde::Deserialize;

// TODO: missing fields should come from `Pagination::default()`.
#[derive(Deserialize)]
struct Pagination {
    /// 1-based page number.
    #[serde(default)]
    page: usize,
    #[serde(default)]
    per_page: usize,
}

impl Default for Pagination {
    fn default() -> Self {
        Pagination {
            page: 1,
            per_page: 3,
        }
    }
}

const PRODUCTS: [&str; 8] = [
    "anvil", "bellows", "chisel", "drill", "file", "gauge", "hammer", "level",
];

/// `GET /products?page=2&per_page=3` -> `["drill","file","gauge"]`.
async fn list_products(Query(pagination): Query<Pagination>) -> Json<Vec<&'static str>> {
    let per_page = pagination.per_page.clamp(1, 100);
    let skip = pagination.page.saturating_sub(1).saturating_mul(per_page);
    Json(PRODUCTS.iter().copied().skip(skip).take(per_page).collect())
}

fn app() -> Router {
    Router::new().route("/products", get(list_products))
}

fn main() {
    let _app = app();
    println!("GET /products?page=&per_page= is routed to `list_products`");
}

