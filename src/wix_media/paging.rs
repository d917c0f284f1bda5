//! Walking a listing that Wix pages by cursor, bounded: the one loop behind every search and
//! list of folders and files. It reads page after page, hands each to the caller, and stops at
//! the first of: the caller has what it wanted, the last page (no next cursor, or an empty one),
//! or the page limit.

use std::future::Future;
use std::ops::ControlFlow;

use super::error::Error;
use super::types::Page;

/// How a walk over pages ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Paged<B> {
    /// The caller stopped it, with this.
    Stopped(B),
    /// Every page was read: the last one had no next cursor.
    Complete,
    /// The page limit was reached with more pages left unread.
    Truncated,
}

/// Reads at most `limit` pages: `fetch` gets the cursor of the page to read (`None` for the
/// first), `each` gets each page's items and says whether to go on.
pub(super) async fn for_each_page<T, B, Fut>(
    limit: usize,
    mut fetch: impl FnMut(Option<String>) -> Fut,
    mut each: impl FnMut(Vec<T>) -> ControlFlow<B>,
) -> Result<Paged<B>, Error>
where
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut cursor = None;
    for _ in 0..limit {
        let page = fetch(cursor.take()).await?;
        if let ControlFlow::Break(b) = each(page.items) {
            return Ok(Paged::Stopped(b));
        }
        match page.next_cursor.filter(|c| !c.is_empty()) {
            Some(c) => cursor = Some(c),
            None => return Ok(Paged::Complete),
        }
    }
    Ok(Paged::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            items: items.to_vec(),
            next_cursor: next.map(str::to_string),
        }
    }

    /// Walks `pages` (served in order; asking past them is a test failure) and returns how it
    /// ended, the cursors asked for, and the items seen.
    async fn walk(
        limit: usize,
        pages: Vec<Page<u32>>,
        stop_at: Option<u32>,
    ) -> (Result<Paged<u32>, Error>, Vec<Option<String>>, Vec<u32>) {
        let mut asked = Vec::new();
        let mut seen = Vec::new();
        let mut pages = pages.into_iter();
        let end = for_each_page(
            limit,
            |cursor| {
                asked.push(cursor);
                let next = pages.next().expect("asked for a page past the last one");
                async move { Ok(next) }
            },
            |items| {
                for i in items {
                    seen.push(i);
                    if Some(i) == stop_at {
                        return ControlFlow::Break(i);
                    }
                }
                ControlFlow::Continue(())
            },
        )
        .await;
        (end, asked, seen)
    }

    #[tokio::test]
    async fn pages_are_read_by_their_cursors_until_one_has_none() {
        let pages = vec![
            page(&[1, 2], Some("c2")),
            page(&[3], Some("c3")),
            page(&[], None),
        ];
        let (end, asked, seen) = walk(10, pages, None).await;
        assert_eq!(end.expect("walked"), Paged::Complete);
        assert_eq!(asked, [None, Some("c2".into()), Some("c3".into())]);
        assert_eq!(seen, [1, 2, 3]);
    }

    #[tokio::test]
    async fn an_empty_cursor_is_the_last_page() {
        let (end, asked, _) = walk(10, vec![page(&[1], Some(""))], None).await;
        assert_eq!(end.expect("walked"), Paged::Complete);
        assert_eq!(asked.len(), 1);
    }

    #[tokio::test]
    async fn the_page_limit_ends_a_walk_that_has_more() {
        let pages = (0..3).map(|i| page(&[i], Some("more"))).collect();
        let (end, asked, seen) = walk(3, pages, None).await;
        assert_eq!(end.expect("walked"), Paged::Truncated);
        assert_eq!(asked.len(), 3);
        assert_eq!(seen, [0, 1, 2]);
        // A last page at the limit is complete, not cut short.
        let pages = vec![page(&[0], Some("c")), page(&[1], None)];
        let (end, _, _) = walk(2, pages, None).await;
        assert_eq!(end.expect("walked"), Paged::Complete);
        let (end, asked, _) = walk(0, Vec::new(), None).await;
        assert_eq!(end.expect("walked"), Paged::Truncated);
        assert!(asked.is_empty());
    }

    #[tokio::test]
    async fn the_caller_stops_it_early_and_no_further_page_is_read() {
        let pages = vec![
            page(&[1, 2], Some("c2")),
            page(&[3, 4, 5], Some("c3")),
            page(&[6], None),
        ];
        let (end, asked, seen) = walk(10, pages, Some(4)).await;
        assert_eq!(end.expect("walked"), Paged::Stopped(4));
        assert_eq!(asked.len(), 2);
        assert_eq!(seen, [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_failed_page_ends_the_walk_with_its_error() {
        let mut calls = 0;
        let end: Result<Paged<()>, Error> = for_each_page(
            10,
            |_| {
                calls += 1;
                let answer = if calls == 1 {
                    Ok(page(&[1], Some("c2")))
                } else {
                    Err(Error::from_response(503, b"{}", None))
                };
                async move { answer }
            },
            |_| ControlFlow::Continue(()),
        )
        .await;
        assert_eq!(end.expect_err("failed").status(), Some(503));
        assert_eq!(calls, 2);
    }
}
