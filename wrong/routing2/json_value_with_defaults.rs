// wrong fix: extracts `Json<serde_json::Value>` and reads fields with defaults: a body missing `price_cents` is accepted as price 0 instead of being refused with 422
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

async fn update_item(Path(id): Path<u32>, Json(update): Json<serde_json::Value>) -> Json<Item> {
    Json(Item {
        id,
        name: update["name"].as_str().unwrap_or_default().to_owned(),
        price_cents: update["price_cents"].as_u64().unwrap_or_default() as u32,
    })
}

fn app() -> Router {
    Router::new().route("/items/{id}", put(update_item))
}

fn main() {
    let _app = app();
    println!("PUT /items/<id> is routed to `update_item`");
}

