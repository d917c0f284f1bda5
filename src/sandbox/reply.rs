//! Replies shaped like Wix's, shared by every sandbox handler: the error bodies (an application
//! error, a field violation) and the cursor paging of listings.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// A Wix-style error body.
pub(super) fn wix_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(error_body(code, message))).into_response()
}

fn error_body(code: &str, message: &str) -> Value {
    json!({
        "message": message,
        "details": { "applicationError": { "code": code, "description": message, "data": {} } }
    })
}

/// A 400 naming the request field that is wrong, as Wix's validation errors do.
pub(super) fn violation(field: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(violation_body(field, description)),
    )
        .into_response()
}

fn violation_body(field: &str, description: &str) -> Value {
    json!({
        "message": format!("{field}: {description}"),
        "details": { "validationError": { "fieldViolations": [
            { "field": field, "description": description, "violatedRule": "VALIDATION" }
        ] } }
    })
}

/// The query of a paged listing (files or folders).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(rename = "parentFolderId")]
    pub(super) parent_folder_id: Option<String>,
    #[serde(rename = "paging.limit")]
    pub(super) limit: Option<usize>,
    #[serde(rename = "paging.cursor")]
    pub(super) cursor: Option<String>,
}

/// Listings hand out this many items unless the query asks otherwise (1 to [`MAX_LIMIT`]).
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// One page of `items` for `q`, and the `nextCursor` JSON that leads to the next page. A
/// cursor is the index of the page's first item; one that does not parse starts over.
pub(super) fn page<T>(items: Vec<T>, q: &ListQuery) -> (Vec<T>, Value) {
    page_of_at_most(items, q, MAX_LIMIT)
}

/// [`page`], with pages of at most `max` items whatever the query asks (a server may give
/// fewer than asked).
pub(super) fn page_of_at_most<T>(items: Vec<T>, q: &ListQuery, max: usize) -> (Vec<T>, Value) {
    let start: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = q
        .limit
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, max.clamp(1, MAX_LIMIT));
    let total = items.len();
    let end = start.saturating_add(limit).min(total);
    let has_next = end < total;
    let items: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = if has_next {
        json!(end.to_string())
    } else {
        Value::Null
    };
    (
        items,
        json!({ "cursors": { "next": next }, "hasNext": has_next }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(limit: Option<usize>, cursor: Option<&str>) -> ListQuery {
        ListQuery {
            limit,
            cursor: cursor.map(String::from),
            ..ListQuery::default()
        }
    }

    #[test]
    fn pages_follow_their_cursors_to_the_end() {
        let items: Vec<u32> = (0..7).collect();
        let (first, next) = page(items.clone(), &query(Some(3), None));
        assert_eq!(first, [0, 1, 2]);
        assert_eq!(next, json!({ "cursors": { "next": "3" }, "hasNext": true }));
        let (second, next) = page(items.clone(), &query(Some(3), Some("3")));
        assert_eq!(second, [3, 4, 5]);
        assert_eq!(next["cursors"]["next"], "6");
        let (last, next) = page(items.clone(), &query(Some(3), Some("6")));
        assert_eq!(last, [6]);
        assert_eq!(
            next,
            json!({ "cursors": { "next": null }, "hasNext": false })
        );
        let (beyond, next) = page(items, &query(Some(3), Some("40")));
        assert!(beyond.is_empty());
        assert_eq!(next["hasNext"], false);
    }

    #[test]
    fn limits_are_clamped_and_bad_cursors_start_over() {
        let items: Vec<usize> = (0..150).collect();
        assert_eq!(page(items.clone(), &query(None, None)).0.len(), 50);
        assert_eq!(page(items.clone(), &query(Some(0), None)).0, [0]);
        assert_eq!(page(items.clone(), &query(Some(500), None)).0.len(), 100);
        let (from_start, _) = page(items.clone(), &query(Some(2), Some("not-a-number")));
        assert_eq!(from_start, [0, 1]);
        let (huge, next) = page(items, &query(Some(2), Some(&usize::MAX.to_string())));
        assert!(
            huge.is_empty(),
            "a cursor past the end is an empty last page"
        );
        assert_eq!(next["hasNext"], false);
    }

    #[test]
    fn error_bodies_are_shaped_like_wix() {
        let e = error_body("NOT_FOUND", "no such file");
        assert_eq!(e["message"], "no such file");
        assert_eq!(e["details"]["applicationError"]["code"], "NOT_FOUND");
        assert_eq!(
            e["details"]["applicationError"]["description"],
            "no such file"
        );
        let v = violation_body("fileId", "is required");
        assert_eq!(v["message"], "fileId: is required");
        let f = &v["details"]["validationError"]["fieldViolations"][0];
        assert_eq!(f["field"], "fileId");
        assert_eq!(f["violatedRule"], "VALIDATION");
    }
}
