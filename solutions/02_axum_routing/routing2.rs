// routing2: the body extractor comes last.
//
// A handler's arguments are extractors, run in order. Most of them read only the request
// head (`Path`, `Query`, `State`, `HeaderMap`: they implement `FromRequestParts`), but one
// consumes the body (`Json`, `String`, `Bytes`, `Form`: `FromRequest`). The body can be
// read only once, so axum accepts a body extractor only as the *last* argument; anywhere
// else the handler does not implement `Handler` and the route does not compile.
// Fix `update_item`'s signature so this `PUT /items/{id}` endpoint builds and works.

use axum::{Json, Router, extract::Path, routing::put};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct ItemUpdate {
    name: String,
    price_cents: u32,
}

#[derive(Serialize)]
struct Item {
    id: u32,
    name: String,
    price_cents: u32,
}

async fn update_item(Path(id): Path<u32>, Json(update): Json<ItemUpdate>) -> Json<Item> {
    Json(Item {
        id,
        name: update.name,
        price_cents: update.price_cents,
    })
}

fn app() -> Router {
    Router::new().route("/items/{id}", put(update_item))
}

fn main() {
    let _app = app();
    println!("PUT /items/<id> is routed to `update_item`");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn put_json(uri: &str, content_type: Option<&str>, body: &str) -> (StatusCode, Vec<u8>) {
        let mut request = Request::put(uri);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(Body::from(body.to_owned())).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, body.to_vec())
    }

    #[tokio::test]
    async fn update_echoes_the_item_with_its_id() {
        let (status, body) = put_json(
            "/items/7",
            Some("application/json"),
            r#"{"name":"desk lamp","price_cents":1999}"#,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a valid PUT /items/7 must succeed; got {}",
            String::from_utf8_lossy(&body)
        );
        let item: Value = serde_json::from_slice(&body).expect("the response must be JSON");
        assert_eq!(
            item,
            json!({"id": 7, "name": "desk lamp", "price_cents": 1999}),
            "the item takes its id from the path and its fields from the JSON body"
        );
    }

    #[tokio::test]
    async fn body_without_json_content_type_is_415() {
        let (status, _) = put_json("/items/7", None, r#"{"name":"x","price_cents":1}"#).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a body without `Content-Type: application/json` is refused with 415 by axum's \
             `Json` extractor; parsing the body by hand skips that check"
        );
    }

    #[tokio::test]
    async fn body_missing_a_field_is_422() {
        let (status, _) = put_json("/items/7", Some("application/json"), r#"{"name":"x"}"#).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON that lacks `price_cents` does not fit `ItemUpdate`: `Json` answers 422, \
             never a default value or a panic"
        );
    }

    #[tokio::test]
    async fn bad_id_is_400() {
        let (status, _) = put_json(
            "/items/seven",
            Some("application/json"),
            r#"{"name":"x","price_cents":1}"#,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "`Path<u32>` refuses an id that is not a number with 400"
        );
    }
}
