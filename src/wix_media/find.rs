//! Finding a file that was made but whose answer was lost: Wix's upload token is one-time, so
//! a second finalize is refused (429) instead of answering the same file again. The file is
//! then looked for where it went, by name and size, among the files made since its upload
//! began.

use std::ops::ControlFlow;

use super::client::WixMediaClient;
use super::error::Error;
use super::paging::{Paged, for_each_page};
use super::types::FileDescriptor;

/// Files made this long before the upload began still count (the clocks of this machine and
/// Wix's may differ).
const CLOCK_SLACK_MS: i64 = 10 * 60 * 1000;
/// Pages of 100 files read at most, newest first.
const MAX_PAGES: usize = 20;

/// Where a file was sent.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// A folder id (`media-root` when `None`).
    Folder(Option<&'a str>),
    /// A folder path such as `/photos/2026`.
    Path(&'a str),
}

/// What the lost file is known by.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub display_name: &'a str,
    pub size_bytes: u64,
    /// When its upload began (seconds since the Unix epoch), when known.
    pub since_unix: Option<u64>,
}

impl WixMediaClient {
    /// The newest file in `place` named and sized as `wanted` and made since its upload began,
    /// if there is one.
    pub async fn find_file(
        &self,
        place: Place<'_>,
        wanted: Wanted<'_>,
    ) -> Result<Option<FileDescriptor>, Error> {
        let folder_id = match place {
            Place::Folder(id) => id.map(str::to_string),
            Place::Path(path) => match self.folder_at(path).await? {
                Some(id) => Some(id),
                // The folder is not there: neither is the file.
                None => return Ok(None),
            },
        };
        let since = wanted
            .since_unix
            .map(|s| i64::try_from(s).unwrap_or(i64::MAX / 2_000) * 1000 - CLOCK_SLACK_MS);
        let folder = folder_id.as_deref();
        let mut best: Option<(i64, FileDescriptor)> = None;
        let walked = for_each_page(
            MAX_PAGES,
            |cursor| async move { self.list_files(folder, cursor.as_deref(), 100).await },
            |files| {
                // Listed by `updatedDate`, newest first, and a file is updated no earlier than
                // it is made: once one was last updated before the upload began, so were the
                // rest.
                for f in files {
                    let updated = f.updated_date.as_deref().and_then(unix_millis);
                    if let (Some(since), Some(u)) = (since, updated)
                        && u < since
                    {
                        return ControlFlow::Break(());
                    }
                    let created = f.created_date.as_deref().and_then(unix_millis);
                    if let (Some(since), Some(c)) = (since, created)
                        && c < since
                    {
                        continue;
                    }
                    let same = f.display_name.as_deref() == Some(wanted.display_name)
                        && f.size_in_bytes == Some(wanted.size_bytes);
                    let when = created.unwrap_or(i64::MIN);
                    if same && best.as_ref().is_none_or(|(b, _)| when > *b) {
                        best = Some((when, f));
                    }
                }
                ControlFlow::Continue(())
            },
        )
        .await?;
        let complete = walked != Paged::Truncated;
        match best {
            Some((_, f)) => Ok(Some(f)),
            None if complete => Ok(None),
            // Not found in the pages read, and more were left: "not there" would be a guess,
            // and a wrong one makes a second copy.
            None => Err(Error::Undecided {
                files: (MAX_PAGES * 100) as u32,
            }),
        }
    }

    /// The id of the folder at `path` (`/a/b`), when every part of it exists.
    async fn folder_at(&self, path: &str) -> Result<Option<String>, Error> {
        let mut parent: Option<String> = None;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            match self.find_folder(part, parent.as_deref()).await? {
                Some(f) => parent = Some(f.id),
                None => return Ok(None),
            }
        }
        Ok(Some(parent.unwrap_or_else(|| "media-root".into())))
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 date such as `2022-09-11T15:13:24.000Z`.
fn unix_millis(date: &str) -> Option<i64> {
    date.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

#[cfg(test)]
mod tests {
    #[test]
    fn wix_dates_read() {
        assert_eq!(
            super::unix_millis("2022-09-11T15:13:24.250Z"),
            Some(1_662_909_204_250)
        );
        assert_eq!(super::unix_millis("yesterday"), None);
    }
}
