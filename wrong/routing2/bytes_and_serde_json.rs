// wrong fix: takes the body as `Bytes` and parses it with `serde_json` by hand to dodge the ordering error: the Content-Type check of `Json` is gone, and a parse error becomes a 400 of your own
// routing2: the body extractor comes last.
//
// A handler's arguments are extractors, run in order. Most of them read only the request
// head (`Path`, `Query`, `State`, `HeaderMap`: they implement `FromRequestParts`), but one
// consumes the body (`Json`, `String`, `Bytes`, `Form`: `FromRequest`). The body can be
// read only once, so axum accepts a body extractor only as the *last* argument; anywhere
// else the handler does not implement `Handler` and the route does not compile.
// Fix `update_item`'s signature so this `PUT /items/{id}` endpoint builds and works.

use axum::{Json, Router, body::Bytes, extract::Path, http::StatusCode, routing::put};
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

async fn update_item(Path(id): Path<u32>, body: Bytes) -> Result<Json<Item>, StatusCode> {
    let update: ItemUpdate =
        serde_json::from_slice(&body).map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok(Json(Item {
        id,
        name: update.name,
        price_cents: update.price_cents,
    }))
}

fn app() -> Router {
    Router::new().route("/items/{id}", put(update_item))
}

fn main() {
    let _app = app();
    println!("PUT /items/<id> is routed to `update_item`");
}

