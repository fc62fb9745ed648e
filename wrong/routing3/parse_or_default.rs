// wrong fix: optional fields parsed by hand from a string map, with `unwrap_or` on parse errors: a malformed `?page=two` is silently treated as page 1 instead of a 400
// routing3: optional query parameters need defaults.
//
// `Query<T>` deserializes the query string into `T` with serde. A field serde cannot fill
// is an error, and axum answers `400 Bad Request`. Here `GET /products` pages through a
// catalogue with `?page=` and `?per_page=`, both optional for the client: the code even
// has a `Default` for them. But serde does not use a `Default` impl unless told to, so a
// plain `GET /products` (what every client sends first) fails.
// Tell serde to fill the missing fields from `Pagination::default()`.

use axum::{Json, Router, extract::Query, routing::get};
use std::collections::HashMap;
use serde::Deserialize;

// TODO: missing fields should come from `Pagination::default()`.
#[derive(Deserialize)]
struct Pagination {
    /// 1-based page number.
    page: usize,
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
async fn list_products(Query(query): Query<HashMap<String, String>>) -> Json<Vec<&'static str>> {
    let defaults = Pagination::default();
    let field = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let pagination = Pagination {
        page: field("page", defaults.page),
        per_page: field("per_page", defaults.per_page),
    };
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

