// browser4: security headers on every response, errors and 404s included.
//
// `security_headers` lists what each answer of this site must carry: a Content-Security-
// Policy (only our own scripts; `frame-ancestors 'none'` so no other site can frame a page
// and trick clicks on it), `X-Content-Type-Options: nosniff` (no guessing a script out of
// a text answer) and a Referrer-Policy (no full URLs leaked to other sites). Only the home
// page sends them. Error pages, 404s and rejected requests need them most: they echo the
// request back. Add them to every response with one layer, not in each handler.

use axum::extract::Path;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The headers every response of this site must carry.
fn security_headers() -> [(HeaderName, &'static str); 3] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ]
}

#[derive(Serialize, Deserialize)]
struct Item {
    id: u32,
    name: String,
}

async fn index() -> impl IntoResponse {
    // TODO: only this answer carries the headers.
    (
        security_headers(),
        Html("<h1>Shop</h1><a href=\"/api/items/1\">item 1</a>"),
    )
}

async fn get_item(Path(id): Path<u32>) -> Result<Json<Item>, StatusCode> {
    match id {
        1 => Ok(Json(Item {
            id,
            name: "kettle".to_string(),
        })),
        _ => Err(StatusCode::NOT_FOUND),
    }
}

async fn create_item(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

async fn report() -> Result<String, StatusCode> {
    // The reporting database is down.
    Err(StatusCode::INTERNAL_SERVER_ERROR)
}

fn app() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/items", axum::routing::post(create_item))
        .route("/api/items/{id}", get(get_item))
        .route("/api/report", get(report))
}

fn main() {
    let _ = app();
    for (name, value) in security_headers() {
        println!("{name}: {value}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request};
    use tower::ServiceExt;

    /// Every kind of answer the site gives: success, handler errors, extractor
    /// rejections, the router's own 404 and 405.
    const REQUESTS: [(&str, &str, Option<(&str, &str)>, &str); 9] = [
        ("GET", "/", None, "the home page"),
        ("GET", "/api/items/1", None, "a JSON answer"),
        (
            "POST",
            "/api/items",
            Some(("application/json", r#"{"id":2,"name":"mug"}"#)),
            "a 201 Created",
        ),
        ("GET", "/api/items/99", None, "a 404 from a handler"),
        (
            "GET",
            "/api/items/%3Cscript%3E",
            None,
            "a 400 from the Path extractor",
        ),
        (
            "POST",
            "/api/items",
            Some(("text/html", "<script>alert(1)</script>")),
            "a 415 from the Json extractor",
        ),
        ("GET", "/api/report", None, "a 500 from a handler"),
        (
            "GET",
            "/nowhere/%3Cimg%20src=x%3E",
            None,
            "the router's 404 for an unknown path",
        ),
        ("DELETE", "/", None, "the router's 405 for a wrong method"),
    ];

    async fn headers_of(
        method: &str,
        uri: &str,
        body: Option<(&str, &str)>,
    ) -> (StatusCode, HeaderMap) {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match body {
            Some((content_type, text)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(text.to_string())
            }
            None => Body::empty(),
        };
        let resp = app()
            .oneshot(req.body(body).unwrap())
            .await
            .expect("the router itself cannot fail");
        (resp.status(), resp.headers().clone())
    }

    fn values(headers: &HeaderMap, name: &HeaderName) -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("<not text>").trim().to_string())
            .collect()
    }

    /// The directives of one CSP: name (lower case) -> its source expressions.
    fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
        policy
            .split(';')
            .filter_map(|directive| {
                let mut tokens = directive.split_ascii_whitespace();
                let name = tokens.next()?.to_ascii_lowercase();
                Some((name, tokens.map(str::to_string).collect()))
            })
            .collect()
    }

    /// What is wrong with these headers, if anything.
    fn problems(headers: &HeaderMap) -> Vec<String> {
        let mut problems = Vec::new();
        let policies = values(headers, &header::CONTENT_SECURITY_POLICY);
        if policies.is_empty() {
            problems.push("no Content-Security-Policy".to_string());
        }
        for policy in &policies {
            let directives = directives(policy);
            let find = |name: &str| directives.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            match find("frame-ancestors").map(|v| v.join(" ")) {
                Some(v) if v == "'none'" || v == "'self'" => {}
                other => problems.push(format!(
                    "CSP `{policy}` has frame-ancestors {other:?}: other sites may frame the \
                     page (clickjacking); use 'none' or 'self'"
                )),
            }
            match find("default-src") {
                Some(sources)
                    if !sources.is_empty()
                        && sources
                            .iter()
                            .all(|s| !s.contains('*') && !s.contains("unsafe")) => {}
                other => problems.push(format!(
                    "CSP `{policy}` has default-src {other:?}: it must restrict where scripts \
                     load from (no *, no 'unsafe-...')"
                )),
            }
        }
        let nosniff = values(headers, &header::X_CONTENT_TYPE_OPTIONS);
        if nosniff.is_empty() || nosniff.iter().any(|v| !v.eq_ignore_ascii_case("nosniff")) {
            problems.push(format!(
                "X-Content-Type-Options {nosniff:?} instead of nosniff: a browser may run a \
                 text or JSON answer that looks like a script"
            ));
        }
        let referrer = values(headers, &header::REFERRER_POLICY);
        let strict = [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
        ];
        if referrer.is_empty()
            || referrer
                .iter()
                .any(|v| !strict.contains(&v.to_ascii_lowercase().as_str()))
        {
            problems.push(format!(
                "Referrer-Policy {referrer:?}: full URLs (with their ids and tokens) may leak \
                 to other sites; use strict-origin-when-cross-origin or stricter"
            ));
        }
        problems
    }

    #[tokio::test]
    async fn the_home_page_has_the_headers() {
        let (status, headers) = headers_of("GET", "/", None).await;
        assert_eq!(status, StatusCode::OK, "GET / must work");
        let problems = problems(&headers);
        assert!(problems.is_empty(), "GET / : {}", problems.join("; "));
    }

    #[tokio::test]
    async fn every_kind_of_answer_has_the_headers() {
        for (method, uri, body, what) in REQUESTS {
            let (status, headers) = headers_of(method, uri, body).await;
            let problems = problems(&headers);
            assert!(
                problems.is_empty(),
                "{method} {uri} ({what}, answered {status}): {}. Every response needs the \
                 security headers, errors and 404s included: add them in a layer around the \
                 whole router",
                problems.join("; ")
            );
        }
    }

    #[tokio::test]
    async fn the_answers_themselves_are_unchanged() {
        for ((method, uri, body, what), expected) in REQUESTS.into_iter().zip([
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::CREATED,
            StatusCode::NOT_FOUND,
            StatusCode::BAD_REQUEST,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED,
        ]) {
            let (status, _) = headers_of(method, uri, body).await;
            assert_eq!(
                status, expected,
                "{method} {uri} ({what}) changed its status: the headers must not change the answer"
            );
        }
    }
}
