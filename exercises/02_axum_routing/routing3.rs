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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn no_query_string_gives_the_first_page() {
        assert_eq!(
            get("/products").await,
            (StatusCode::OK, r#"["anvil","bellows","chisel"]"#.into()),
            "a plain GET /products must give page 1 of 3 items, the values of \
             `Pagination::default()` (not 400, and not serde's zeros)"
        );
    }

    #[tokio::test]
    async fn page_alone_uses_the_default_page_size() {
        assert_eq!(
            get("/products?page=2").await,
            (StatusCode::OK, r#"["drill","file","gauge"]"#.into()),
            "?page=2 alone: the missing per_page must come from the default (3), while the \
             given page is kept"
        );
    }

    #[tokio::test]
    async fn per_page_alone_starts_at_page_one() {
        assert_eq!(
            get("/products?per_page=5").await,
            (
                StatusCode::OK,
                r#"["anvil","bellows","chisel","drill","file"]"#.into()
            ),
            "?per_page=5 alone: the missing page must come from the default (1), while the \
             given per_page is kept"
        );
    }

    #[tokio::test]
    async fn both_parameters_are_honoured() {
        assert_eq!(
            get("/products?page=4&per_page=2").await,
            (StatusCode::OK, r#"["hammer","level"]"#.into()),
            "?page=4&per_page=2: the values the client sent win over the defaults"
        );
    }

    #[tokio::test]
    async fn a_page_that_is_not_a_number_is_still_400() {
        let (status, body) = get("/products?page=two").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "defaults fill *missing* parameters only: an invalid one must still be refused \
             with 400, not silently replaced; got {body:?}"
        );
    }
}
